"""Time a fresh default project: `make install`, `make repro`, `make test`, then a no-op repro.

Goal (issue: template foundation): install + repro + test under 90 s with a warm package
cache; a no-op `make repro` under 5 s. The peer measured in the same run is the bare start-up
of DVC itself (`uv run dvc version`): the no-op repro's ratio to it shows what the pipeline adds.

    uv run python benchmarks/fresh_project.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from _project import bake, timed


def main() -> None:
    """Time a fresh project's install, repro and test, as a new user runs them."""
    with tempfile.TemporaryDirectory() as tmp:
        project = bake(Path(tmp))
        rows = []
        for command in ("make install", "make repro", "make test"):
            seconds, _ = timed(command, project)
            rows.append((command, seconds))
        total = sum(seconds for _, seconds in rows)
        noop, _ = timed("make repro", project)
        peer, _ = timed("uv run --locked dvc version", project)

    print(f"{'step':<34}{'seconds':>10}")
    for command, seconds in rows:
        print(f"{command:<34}{seconds:>10.1f}")
    print(f"{'install + repro + test':<34}{total:>10.1f}   goal < 90 s")
    print(f"{'no-op make repro':<34}{noop:>10.1f}   goal < 5 s")
    print(f"{'peer: uv run dvc version':<34}{peer:>10.1f}   no-op / peer = {noop / peer:.2f}x")


if __name__ == "__main__":
    main()
