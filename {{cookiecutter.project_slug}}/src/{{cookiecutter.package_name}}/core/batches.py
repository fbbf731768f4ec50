"""data/batches/: where new batches arrive, named so that they sort by date (2026-11-26.parquet).

`make drift` and `make score` take the newest one when given none.
"""

from __future__ import annotations

from pathlib import Path

BATCHES = Path("data/batches")


def newest(suffixes: tuple[str, ...], folder: Path = BATCHES) -> Path | None:
    """The last file of `folder` by name among those ending in `suffixes`; None if none is."""
    if not folder.is_dir():
        return None
    found = sorted(p for p in folder.iterdir() if p.suffix in suffixes and p.is_file())
    return found[-1] if found else None
