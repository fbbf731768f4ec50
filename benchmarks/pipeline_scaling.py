"""Run the default pipeline on 10k, 100k and 1M generated rows: time and peak memory.

Goal (issue: template foundation): growth close to linear, peak memory under 4 GB at 1M rows.
Each size is compared with the smallest one measured in the same run (the peer): the
"time x / rows x" column is 1.0 for perfectly linear growth and below 1 while fixed costs
(imports, MLflow, DVC) dominate; the marginal seconds per extra 100,000 rows show the rest.

    uv run python benchmarks/pipeline_scaling.py [rows ...]
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from _project import bake, timed

SIZES = [10_000, 100_000, 1_000_000]
WIDTHS = (10, 10, 10, 8, 8, 17)


def set_rows(project: Path, rows: int) -> None:
    """Set the sample stage's row count in params.yaml."""
    params = project / "params.yaml"
    text, count = re.subn(r"^(  rows:)\s*\d+", rf"\g<1> {rows}", params.read_text(), flags=re.M)
    assert count == 1, "sample.rows not found in params.yaml"
    params.write_text(text)


def main() -> None:
    """Time `make repro` at each table size, to show how the pipeline scales."""
    sizes = [int(arg) for arg in sys.argv[1:]] or SIZES
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        project = bake(Path(tmp))
        timed("make install", project)
        for rows in sizes:
            set_rows(project, rows)
            seconds, peak = timed("uv run --locked dvc repro", project)
            results.append((rows, seconds, peak))
            print(f"  {rows:>9,} rows: {seconds:.1f} s, peak {peak:,.0f} MiB", flush=True)

    base_rows, base_seconds, _ = results[0]
    header = ("rows", "seconds", "peak MiB", "rows x", "time x", "time x / rows x")
    print("\n" + "".join(f"{name:>{width}}" for name, width in zip(header, WIDTHS, strict=True)))
    for rows, seconds, peak in results:
        rows_ratio, time_ratio = rows / base_rows, seconds / base_seconds
        print(
            f"{rows:>10,}{seconds:>10.1f}{peak:>10,.0f}{rows_ratio:>8.0f}{time_ratio:>8.1f}"
            f"{time_ratio / rows_ratio:>17.2f}"
        )
    for rows, seconds, _ in results[1:]:
        marginal = (seconds - base_seconds) / (rows - base_rows) * 100_000
        print(f"above {base_rows:,} rows: {marginal:.1f} s per extra 100,000 rows (up to {rows:,})")
    print("goal: peak under 4,096 MiB at 1,000,000 rows; growth close to linear")


if __name__ == "__main__":
    main()
