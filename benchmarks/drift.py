"""Time `make drift` on a 1,000,000-row batch, as CSV and as Parquet: wall time and peak memory.

Goal (drift detection): under 10 s and under 2 GB for 1M rows x every contract feature on
this 2-core machine. The peer measured in the same run is pandas reading the same files
(`pd.read_csv(engine="pyarrow")`, `pd.read_parquet`): the ratio shows what the contract
check, the measures, scoring a sample and the three reports add to just loading the batch.

The batch is unshifted (exit 0: `timed` stops at a failing command), so the run also shows
that a million rows of an unchanged population raise no alarm. Bytecode is compiled first,
as it is on any machine after the first run (some set PYTHONDONTWRITEBYTECODE).

    uv run python benchmarks/drift.py [rows]
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from _project import bake, timed

ROWS = 1_000_000
WIDTHS = (34, 10, 10, 10)


def main() -> None:
    """Time `make drift` on CSV and Parquet batches against pandas reading the same files."""
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else ROWS
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        project = bake(Path(tmp))
        for command in ("make install", "make repro"):
            seconds, _ = timed(command, project)
            print(f"  {command}: {seconds:.0f} s", flush=True)
        timed("uv run --locked python -m compileall -q .venv/lib src", project)
        csv, parquet = "data/batches/batch.csv", "data/batches/batch.parquet"
        timed(f"make batch DRIFT=none ROWS={rows} SEED=11 OUT={csv}", project)
        convert = f"import pandas as p; p.read_csv('{csv}').to_parquet('{parquet}')"
        timed(f'uv run --locked python -c "{convert}"', project)
        for path, reader in ((csv, "read_csv(f, engine='pyarrow')"), (parquet, "read_parquet(f)")):
            drift = timed(f"uv run --locked customer-churn drift --current {path}", project)
            status = json.loads((project / "reports" / "drift.json").read_text())["status"]
            load = f"import pandas as p; f = '{path}'; p.{reader}"
            peer = timed(f'uv run --locked python -c "{load}"', project)
            results.append((Path(path).suffix[1:], drift, peer, status))

    header = ("command", "seconds", "peak MiB", "x peer")
    print(f"\n{rows:,} rows")
    print("".join(f"{name:>{width}}" for name, width in zip(header, WIDTHS, strict=True)))
    for kind, (seconds, peak), (peer_seconds, peer_peak), status in results:
        for name, time, memory in (
            (f"drift --current {kind} ({status})", seconds, peak),
            (f"peer: pandas reads the {kind}", peer_seconds, peer_peak),
        ):
            print(f"{name:>34}{time:>10.1f}{memory:>10,.0f}{time / peer_seconds:>10.1f}")
    print("goal: under 10 s and under 2,048 MiB at 1,000,000 rows")


if __name__ == "__main__":
    main()
