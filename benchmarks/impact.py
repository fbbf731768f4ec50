"""Calibration of the impact report's statistics, at scale, on a baked project's own customers.

The generated project's tests/impact/test_calibration.py runs a few hundred simulated
experiments; this runs thousands (tests/impact/simulation.py, the same code) and prints:

- A/A (identical variants), read every day for 4 weeks: the share called different by the
  report's always-valid interval, against its peer measured in the same run, the
  fixed-horizon Welch t-test read at the same looks (nominal rate of both: 5%);
- a planted lift in retention (and in revenue, with and without CUPED): the share detected
  at the last look against the rate the report's calculator predicts, and at any look;
- a sample-ratio mismatch planted by losing a share of the challenger's ids: the share flagged.

    uv run python benchmarks/impact.py [trials] [task]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from _project import ENV, bake, timed

TRIALS = 2_000
INNER = r"""
import math, sys, time
import numpy as np
from tests.impact.simulation import population, predicted_power, rates, trial

TRIALS = int(sys.argv[1])
DAYS = 28
pool = population(rows=100_000)


def run(seed, per_day, **design):
    rng = np.random.default_rng(seed)
    return rates([trial(pool, rng, days=DAYS, per_day=per_day, **design) for _ in range(TRIALS)])


def se(rate):
    return math.sqrt(max(rate * (1 - rate), 1e-9) / TRIALS)


start = time.perf_counter()
print(f"{TRIALS} simulated experiments per row, {DAYS} daily looks, 50/50 split\n")
print("A/A: share called different (nominal 5%)")
print(f"{'ids/day':>8} {'sequential, any look':>22} {'t-test, any look':>18}"
      f" {'t-test, last look':>18} {'SRM flagged':>12}")
for per_day in (100, 1_000):
    found = run(1, per_day)
    print(f"{per_day:>8} {found['sequential_any']:>14.1%} ± {se(found['sequential_any']):.1%}"
          f" {found['ttest_any']:>10.1%} ± {se(found['ttest_any']):.1%}"
          f" {found['ttest_final']:>10.1%} ± {se(found['ttest_final']):.1%}"
          f" {found['srm_flagged']:>11.2%}")
print("\nplanted lift: share detected by the always-valid interval")
print(f"{'metric':<22} {'ids/day':>8} {'lift':>5} {'predicted':>10} {'last look':>16}"
      f" {'any look':>9}")
for metric, cuped, lift, per_day in (
    ("retained", False, 0.02, 1_000),
    ("retained", False, 0.10, 100),
    ("revenue", False, 0.03, 1_000),
    ("revenue", True, 0.03, 1_000),
):
    predicted = predicted_power(pool, units=DAYS * per_day, lift=lift, metric=metric, cuped=cuped)
    found = run(2, per_day, lift=lift, metric=metric, cuped=cuped)
    name = metric + (" (CUPED)" if cuped else "")
    print(f"{name:<22} {per_day:>8} {lift:>5.0%} {predicted:>10.1%}"
          f" {found['sequential_final']:>8.1%} ± {se(found['sequential_final']):.1%}"
          f" {found['sequential_any']:>9.1%}")
print("\nplanted sample-ratio mismatch: share flagged (p < 0.001)")
for lost, per_day in ((0.05, 1_000), (0.10, 100), (0.20, 100)):
    found = run(3, per_day, lost_share=lost)
    flagged = found["srm_flagged"]
    print(f"  {lost:.0%} of the challenger's ids lost, {per_day} ids/day: {flagged:.1%}")
print(f"\nsimulation: {time.perf_counter() - start:.1f} s")
"""


def main() -> None:
    """Bake a project, install it, run the simulations in it and print the figures."""
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else TRIALS
    task = sys.argv[2] if len(sys.argv) > 2 else "classification"
    with tempfile.TemporaryDirectory() as tmp:
        project = bake(Path(tmp), task=task)
        seconds, _ = timed("make install", project)
        print(f"  {task} project, make install: {seconds:.0f} s", flush=True)
        script = project / "calibrate.py"
        script.write_text(INNER)
        result = subprocess.run(
            ["uv", "run", "--locked", "python", str(script), str(trials)],
            cwd=project,
            env={**ENV, "PYTHONPATH": str(project)},
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            sys.exit(result.stderr[-3000:])
    print(result.stdout)


if __name__ == "__main__":
    main()
