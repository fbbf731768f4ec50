"""The impact report's statistics, calibrated by simulation on the demo's own customers.

A few hundred simulated experiments of four weeks, read every day (the full run, with more
experiments and the figures printed, is the template's benchmarks/impact.py). Bounds are the
nominal rate plus three Monte Carlo standard errors, so a calibrated method passes and a
miscalibrated one (the fixed-horizon t-test read daily) fails.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats as scipy_stats

from {{ cookiecutter.package_name }}.impact import stats

from .simulation import ALPHA, TUNING, Looks, Population, population, predicted_power, rates, trial

TRIALS = 300
DAYS, PER_DAY = 28, 100  # 2,800 customers per experiment, looked at 28 times


def slack(rate: float, trials: int = TRIALS) -> float:
    """Three Monte Carlo standard errors of a rate estimated from `trials` experiments."""
    return 3 * math.sqrt(rate * (1 - rate) / trials)


@pytest.fixture(scope="module")
def pool() -> Population:
    return population(rows=20_000)


def run(pool: Population, seed: int, **design: Any) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    return rates([trial(pool, rng, days=DAYS, per_day=PER_DAY, **design) for _ in range(TRIALS)])


@pytest.mark.parametrize("cuped", [False, True])
def test_the_simulations_fast_looks_are_the_reports_statistics(
    pool: Population, cuped: bool
) -> None:
    rng = np.random.default_rng(0)
    rows = rng.integers(0, len(pool.revenue), 600)
    outcome, before, treated = pool.revenue[rows], pool.before[rows], pool.treated[:600]
    looks = Looks.of(outcome, before if cuped else None, treated, np.array([300, 600]))

    for look, seen in enumerate((300, 600)):
        y, x, b = outcome[:seen], before[:seen], treated[:seen]
        pre = (x[~b], x[b]) if cuped else (None, None)
        report = stats.difference(
            y[~b], y[b], alpha=ALPHA, tuning_units=TUNING, control_pre=pre[0], treatment_pre=pre[1]
        )
        assert looks.estimate[look] == pytest.approx(report.estimate, rel=1e-6)
        assert looks.error[look] == pytest.approx(report.standard_error, rel=1e-6)
    if not cuped:
        welch = scipy_stats.ttest_ind(outcome[treated], outcome[~treated], equal_var=False)
        assert looks.welch_p()[-1] == pytest.approx(welch.pvalue, rel=1e-6)


def test_identical_variants_read_daily_are_rarely_called_different(pool: Population) -> None:
    found = run(pool, seed=1)

    # the always-valid interval keeps its 5% however often it is read
    assert found["sequential_any"] <= ALPHA + slack(ALPHA)
    # the fixed-horizon t-test read daily does not (its rate is well above 5%)
    assert found["ttest_any"] > ALPHA + slack(ALPHA)
    # and an honest split is not flagged as a sample-ratio mismatch
    assert found["srm_flagged"] <= 0.001 + slack(0.02)


@pytest.mark.parametrize(
    ("metric", "cuped", "lift"), [("retained", False, 0.10), ("revenue", True, 0.10)]
)
def test_a_planted_lift_is_detected_as_often_as_the_calculator_predicts(
    pool: Population, metric: str, cuped: bool, lift: float
) -> None:
    predicted = predicted_power(pool, units=DAYS * PER_DAY, lift=lift, metric=metric, cuped=cuped)
    assert 0.2 < predicted < 0.95  # a test that could fail either way

    found = run(pool, seed=2, lift=lift, metric=metric, cuped=cuped)

    assert abs(found["sequential_final"] - predicted) <= slack(predicted) + 0.05
    assert found["sequential_any"] >= found["sequential_final"]


def test_a_sample_ratio_mismatch_is_flagged(pool: Population) -> None:
    # a fifth of the challenger's customers never reach the log (e.g. its timeouts)
    found = run(pool, seed=3, lost_share=0.2)

    assert found["srm_flagged"] >= 0.9
