"""A labelled batch's metrics against the committed baseline (metrics/baseline.json).

The gate's rules decide: each metric's direction and tolerance, judged by `gate.judge`. One
thing differs. The gate compares two models on the *same* golden set; here one model meets
two different samples, the golden set the baseline was measured on and the batch, and their
sampling noise alone moves the metrics (on a 3,000-row golden set, AUC by about 0.01: the
gate's whole tolerance). So each tolerance is widened by `performance_sigmas` standard
deviations of that difference, estimated by a seeded bootstrap of the batch. The gate's
absolute limits are bars for accepting a new model and play no part here.
"""

from __future__ import annotations

import math
import warnings
from contextlib import suppress
from dataclasses import replace

import numpy as np

from {{ cookiecutter.package_name }}.core.metrics import score
from {{ cookiecutter.package_name }}.core.params import DriftRules, MetricRule
from {{ cookiecutter.package_name }}.core.records import (
    Baseline,
    MetricCheck,
    Performance,
)
from {{ cookiecutter.package_name }}.core.rules import judge

REPLICATES = 50  # bootstrap samples: a standard deviation to within about 10%
BOOTSTRAP_ROWS = 5_000  # rows per bootstrap sample; the spread is rescaled to the real sizes


def spread_per_row(truth: np.ndarray, predicted: np.ndarray, seed: int) -> dict[str, float]:
    """Each metric's bootstrap standard deviation, rescaled to a sample of one row."""
    rng = np.random.default_rng(seed)
    size = min(len(truth), BOOTSTRAP_ROWS)
    samples = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a resample may lack a class some metric wants
        for _ in range(REPLICATES):
            rows = rng.integers(0, len(truth), size)
            with suppress(ValueError):  # ... or that it cannot do without
                samples.append(score(truth[rows], predicted[rows]))
    if len(samples) < 2:
        return {}
    return {
        name: float(np.nanstd([sample[name] for sample in samples], ddof=1)) * math.sqrt(size)
        for name in samples[0]
    }


def number(value: object) -> float | None:
    """A finite number, or None (which the gate's judge treats as missing)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def check_metric(
    name: str, rule: MetricRule, baseline: float | None, current: float | None, noise: float
) -> MetricCheck:
    """The gate's verdict with the tolerance widened by `noise` and no absolute limit."""
    widened = MetricRule(
        direction=rule.direction,
        tolerance=rule.tolerance + noise,
        limit=-math.inf if rule.direction == "higher" else math.inf,
    )
    verdict = judge(name, widened, baseline, current)
    return MetricCheck(
        metric=name,
        direction=rule.direction,
        baseline=baseline,
        current=current,
        tolerance=rule.tolerance,
        noise=noise,
        verdict="ok" if verdict.passed else "degraded",
        reason=verdict.reason,
    )


def allowances(
    truth: np.ndarray, predicted: np.ndarray, golden_rows: float | None, drift: DriftRules
) -> dict[str, float]:
    """Per metric: `performance_sigmas` standard deviations of (batch - golden set)."""
    golden = 1 / golden_rows if golden_rows else 0.0
    scale = drift.performance_sigmas * math.sqrt(1 / len(truth) + golden)
    return {name: sd * scale for name, sd in spread_per_row(truth, predicted, drift.seed).items()}


def measure_performance(
    truth: np.ndarray,
    predicted: np.ndarray,
    *,
    baseline: Baseline,
    source: str,
    rules: dict[str, MetricRule],
    drift: DriftRules,
) -> Performance:
    """Score the batch and judge each gated metric against the baseline."""
    current = {name: number(value) for name, value in score(truth, predicted).items()}
    accepted = baseline.metrics
    judged = len(truth) >= drift.min_rows
    golden_rows = baseline.golden.rows
    noise = allowances(truth, predicted, golden_rows, drift) if judged else {}
    checks = []
    for name, rule in rules.items():
        check = check_metric(
            name, rule, number(accepted.get(name)), current.get(name), noise.get(name, 0.0)
        )
        if not judged:
            reason = f"fewer than {drift.min_rows} labelled rows"
            check = replace(check, verdict="insufficient_data", reason=reason)
        checks.append(check)
    degraded = [check.metric for check in checks if check.verdict == "degraded"]
    return Performance(len(truth), source, current, checks, degraded)
