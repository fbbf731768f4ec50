"""Time the Wasserstein noise threshold of one numeric feature, drawn as counts or as rows.

`make drift` raises each numeric feature's distance threshold to the distance chance alone
reaches (measures.distance_noise: 500 no-drift resamples of the pooled values). A feature with
few distinct values (a count, an age, a whole number of months) is resampled as counts per
value (one multinomial draw per value, at the real sizes); others as rows (at most 2,000 per
resample, sorted). The peer measured in the same run is the row resampling on the same
feature (FEW_VALUES set to 0), so the ratio is the speed-up and the last two columns show
that both give the same threshold (within the simulation's few percent).

Goal: at least 5 times faster on a feature of about 75 values (SD 10), no slower at
several hundred, and thresholds within 15% of the rows'.

    uv run python benchmarks/drift_noise.py [project folder: skips baking and installing]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from _project import bake, run_inside, timed

INNER = r"""
import time

import numpy as np

from {package}.monitor import measures

rng = np.random.default_rng(0)
CASES = [  # (name, reference, batch): integer features rounded to whole values
    ("Poisson(2), 16,000 / 200 rows", rng.poisson(2, 16_000), rng.poisson(2, 200)),
    ("SD 10, 16,000 / 2,000 rows", rng.normal(50, 10, 16_000), rng.normal(50, 10, 2_000)),
    ("SD 10, 1,000,000 / 100,000", rng.normal(50, 10, 1_000_000), rng.normal(50, 10, 100_000)),
    ("SD 50, 16,000 / 2,000 rows", rng.normal(500, 50, 16_000), rng.normal(500, 50, 2_000)),
]


def cpu_ms(reference, current, repeats=5):
    start = time.process_time()
    for _ in range(repeats):
        noise = measures.distance_noise(reference, current, np.random.default_rng(1), 0.001)
    return (time.process_time() - start) / repeats * 1000, noise


for name, reference, current in CASES:
    reference, current = np.round(reference).astype(float), np.round(current).astype(float)
    distinct = len(np.unique(np.concatenate([reference, current])))
    counts_ms, counts_noise = cpu_ms(reference, current)
    few, measures.FEW_VALUES = measures.FEW_VALUES, 0
    rows_ms, rows_noise = cpu_ms(reference, current)
    measures.FEW_VALUES = few
    print(f"{{name}};{{distinct}};{{counts_ms}};{{rows_ms}};{{counts_noise}};{{rows_noise}}")
"""


def main() -> None:
    """Bake and install a project (or use the one given), then time both ways in it."""
    with tempfile.TemporaryDirectory() as tmp:
        if len(sys.argv) > 1:
            project = Path(sys.argv[1]).resolve()
        else:
            project = bake(Path(tmp))
            seconds, _ = timed("make install", project)
            print(f"  make install: {seconds:.0f} s", flush=True)
        output = run_inside(project, Path(tmp) / "noise.py", INNER)
    print(
        f"\n{'feature':>34}{'distinct':>9}{'counts ms':>11}{'rows ms':>9}{'x':>6}"
        f"{'threshold':>11}{'(rows)':>8}"
    )
    for line in output.strip().splitlines():
        name, distinct, counts_ms, rows_ms, counts_noise, rows_noise = line.split(";")
        print(
            f"{name:>34}{int(distinct):>9}{float(counts_ms):>11.1f}{float(rows_ms):>9.1f}"
            f"{float(rows_ms) / float(counts_ms):>6.1f}{float(counts_noise):>11.4f}"
            f"{float(rows_noise):>8.4f}"
        )
    print("goal: >= 5x at SD 10 (~75 values), >= 1x at SD 50 (~300), thresholds within 15%")


if __name__ == "__main__":
    main()
