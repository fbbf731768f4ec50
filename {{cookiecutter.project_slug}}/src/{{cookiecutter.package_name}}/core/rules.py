"""How one metric is judged against a baseline and its rule: shared by the gate and drift.

A rule (params.yaml `gate.metrics`, `drift.performance`) has a direction, an allowed regression
and an absolute limit; ties pass. The gate judges the golden metrics with it (gate/check.py),
the drift monitor a labelled batch's (monitor/performance.py).
"""

from __future__ import annotations

import math

from {{ cookiecutter.package_name }}.core.params import MetricRule
from {{ cookiecutter.package_name }}.core.records import (
    GoldenReport,
    MetricVerdict,
)

EPSILON = 1e-12  # float noise below this is a tie


def within_limit(rule: MetricRule, value: float) -> bool:
    """Whether `value` is on the good side of the rule's absolute limit (ties pass)."""
    sign = 1 if rule.direction == "higher" else -1
    return sign * (value - rule.limit) >= -EPSILON


def judge(
    name: str,
    rule: MetricRule,
    baseline: float | None,
    candidate: float | None,
    trivial: float | None = None,
    *,
    baseline_required: bool = True,
) -> MetricVerdict:
    """One metric's verdict, with every rule it breaks.

    The rules: finite, not worse than the baseline beyond the tolerance, within the absolute
    limit.
    """
    reasons: list[str] = []
    if candidate is None or not math.isfinite(candidate):
        reasons.append("candidate value is missing or not a finite number")
    if (baseline is None or not math.isfinite(baseline)) and baseline_required:
        reasons.append("baseline value is missing or not a finite number")
    if candidate is not None and math.isfinite(candidate):
        if baseline is not None and math.isfinite(baseline):
            sign = 1 if rule.direction == "higher" else -1
            regression = sign * (baseline - candidate)
            if regression > rule.tolerance + EPSILON:
                reasons.append(
                    f"worse than baseline by {regression:.4g} (allowed {rule.tolerance:g})"
                )
        if not within_limit(rule, candidate):
            bound = "below the floor" if rule.direction == "higher" else "above the ceiling"
            reasons.append(f"{bound} of {rule.limit:g}")
    return MetricVerdict(
        metric=name,
        direction=rule.direction,
        baseline=baseline,
        candidate=candidate,
        trivial=trivial,
        tolerance=rule.tolerance,
        limit=rule.limit,
        reasons=reasons,
    )


def judge_metrics(
    baseline: GoldenReport | None,
    candidate: GoldenReport,
    rules: dict[str, MetricRule],
    *,
    added: frozenset[str] = frozenset(),
) -> tuple[list[MetricVerdict], list[str]]:
    """Verdicts per metric, plus the problems that make any comparison void.

    Metrics in `added` were introduced by the change itself: without a baseline value they
    are judged by their limit alone. No baseline at all (None) fails every metric that needs one.
    """
    problems = []
    base_golden = baseline.golden.sha256 if baseline else None
    cand_golden = candidate.golden.sha256
    if base_golden != cand_golden:
        problems.append(
            f"golden set differs from the baseline's (baseline {base_golden}, candidate "
            f"{cand_golden}): scores on different golden sets are not comparable. To re-baseline, "
            "run `make baseline`, commit metrics/baseline.json in this change for review and "
            "override the gate for it (README: 'Changing the baseline')."
        )
    if baseline and baseline.contract_sha256 != candidate.contract_sha256:
        problems.append(
            "the feature contract differs from the one the baseline was measured with: "
            "re-baseline as above once the contract change is reviewed."
        )
    base_metrics = baseline.metrics if baseline else {}
    verdicts = [
        judge(
            name,
            rule,
            base_metrics.get(name),
            candidate.metrics.get(name),
            candidate.trivial.get(name),
            baseline_required=name not in added,
        )
        for name, rule in rules.items()
    ]
    return verdicts, problems
