"""From the joined experiment to verdicts: per variant, and per challenger against the control.

The order of questions is the order of trust: is the split what was configured (else no
verdict at all), did the challenger fail more requests (a guardrail), and only then did the
business metric move. Every interval is always-valid (stats.py), so the report may be read
every day; "not enough data" is said whenever a variant has fewer units with an outcome than
impact.min_units, together with how long the traffic seen so far needs to detect the
planned lift.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from {{ cookiecutter.package_name }}.core.params import Impact
from {{ cookiecutter.package_name }}.impact import stats
from {{ cookiecutter.package_name }}.impact.inputs import UNIT, Experiment, ImpactError

Verdict = Literal["not_enough_data", "better", "worse", "inconclusive"]
Status = Literal[Verdict, "sample_ratio_mismatch", "guardrail", "mixed"]


@dataclass(frozen=True)
class VariantSummary:
    """One variant's traffic, guardrails and outputs."""

    name: str
    configured_share: float
    units: int  # distinct ids
    observed_share: float
    with_outcome: int
    rows: int  # logged rows, failed requests included
    errors: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    mean_score: float | None
    metric_mean: float | None


@dataclass(frozen=True)
class Comparison:
    """A challenger against the control: the metric's difference, its verdict and the plan."""

    variant: str
    verdict: Verdict
    estimate: float | None
    low: float | None
    high: float | None
    relative: float | None
    variance_reduction: float | None  # CUPED's share of the variance removed
    error_rate_difference: float | None
    errors_worse: bool
    score_shift: float | None  # difference in mean score
    score_ks: float | None  # Kolmogorov-Smirnov distance between the score distributions
    paired: int  # ids answered by both (the control, and the challenger on a mirrored copy)
    agreement: float | None  # share of those with the same prediction
    mde: float | None  # absolute effect detectable now with impact.power
    days_needed: int | None  # from the start, to detect impact.target_lift with impact.power
    days_left: float | None


@dataclass(frozen=True)
class ImpactReport:
    """Everything the markdown and the JSON say."""

    status: Status
    summary: str
    metric: str
    better: str
    control: str
    cuped: bool
    alpha: float
    target_lift: float
    sample_ratio_p: float
    crossed_ids: int
    days: float
    units_per_day: float
    outcomes_until: str | None
    variants: list[VariantSummary]
    comparisons: list[Comparison] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The report as plain data (NaN becomes null)."""
        plain: dict[str, Any] = clean(asdict(self))
        return plain


def clean(value: Any) -> Any:
    """NaN and infinities become None, recursively: JSON has neither."""
    if isinstance(value, dict):
        return {key: clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clean(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def optional(value: float) -> float | None:
    """A float, or None when it is NaN."""
    return None if math.isnan(value) else float(value)


def summarise(experiment: Experiment, rules: Impact, name: str, units: int) -> VariantSummary:
    """Traffic, errors, latency and outputs of one variant."""
    rows = experiment.rows[experiment.rows["variant"] == name]
    mine = experiment.units[experiment.units["variant"] == name]
    latency = rows["latency_ms"].dropna().astype(float)
    outcome = mine["outcome"].dropna()
    scores = rows["score"].dropna()
    return VariantSummary(
        name=name,
        configured_share=rules.split.get(name, 0.0) / sum(rules.split.values()),
        units=len(mine),
        observed_share=len(mine) / units if units else 0.0,
        with_outcome=len(outcome),
        rows=len(rows),
        errors=int(rows["error"].notna().sum()),
        latency_p50_ms=float(latency.quantile(0.5)) if len(latency) else None,
        latency_p95_ms=float(latency.quantile(0.95)) if len(latency) else None,
        mean_score=float(scores.mean()) if len(scores) else None,
        metric_mean=float(outcome.mean()) if len(outcome) else None,
    )


def arm(units: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes and pre-period values of one variant's units that have an outcome."""
    mine = units[(units["variant"] == name) & units["outcome"].notna()]
    return mine["outcome"].to_numpy(float), mine["pre"].to_numpy(float)


def error_guardrail(
    control: pd.DataFrame, treated: pd.DataFrame, rules: Impact
) -> tuple[float | None, bool]:
    """The difference in the share of failed requests, and whether it is surely above 0."""
    if len(control) < 2 or len(treated) < 2:
        return None, False
    failed = stats.difference(
        control["error"].notna().to_numpy(float),
        treated["error"].notna().to_numpy(float),
        alpha=rules.alpha,
        tuning_units=rules.tuning_units,
    )
    return failed.estimate, failed.low > 0


def score_shift(control: pd.DataFrame, treated: pd.DataFrame) -> tuple[float | None, float | None]:
    """Difference in mean score, and the Kolmogorov-Smirnov distance of the scores."""
    scores = [frame["score"].dropna().to_numpy(float) for frame in (control, treated)]
    if not all(len(score) for score in scores):
        return None, None
    ks = float(scipy_stats.ks_2samp(scores[0], scores[1]).statistic)
    return float(scores[1].mean() - scores[0].mean()), ks


def agree(rows: pd.DataFrame, control: str, name: str) -> tuple[int, float | None]:
    """Ids the control answered and the challenger answered too (mirrored): same prediction?"""
    scored = rows[rows["error"].isna() & rows[UNIT].notna()]
    first = scored.groupby([UNIT, "variant"])["prediction"].first().unstack()
    if control not in first or name not in first:
        return 0, None
    both = first[[control, name]].dropna()
    if both.empty:
        return 0, None
    same = both[control].astype(str) == both[name].astype(str)
    return len(both), float(same.mean())


def compare(experiment: Experiment, rules: Impact, name: str, per_day: float) -> Comparison:
    """One challenger against the control (see the module's docstring for the order)."""
    units = experiment.units.copy()
    if rules.pre_period:
        units["pre"] = units["pre"].fillna(units["pre"].mean())  # unbiased; costs some power
    control, control_pre = arm(units, rules.control)
    treated, treated_pre = arm(units, name)
    share = rules.split[name] / (rules.split[name] + rules.split[rules.control])
    rows = experiment.rows
    control_rows, treated_rows = (rows[rows["variant"] == v] for v in (rules.control, name))
    errors, errors_worse = error_guardrail(control_rows, treated_rows, rules)
    shift, ks = score_shift(control_rows, treated_rows)
    paired, agreement = agree(rows, rules.control, name)
    pooled = np.concatenate([control, treated])
    sd = float(np.std(pooled, ddof=1)) if len(pooled) > 1 else math.nan
    effect = rules.target_lift * abs(float(control.mean())) if len(control) else math.nan
    enough = min(len(control), len(treated)) >= rules.min_units
    result = None
    if len(control) > 1 and len(treated) > 1:
        known_pre = not np.isnan(np.concatenate([control_pre, treated_pre])).any()
        with_pre = rules.pre_period is not None and known_pre
        result = stats.difference(
            control,
            treated,
            alpha=rules.alpha,
            tuning_units=rules.tuning_units,
            control_pre=control_pre if with_pre else None,
            treatment_pre=treated_pre if with_pre else None,
        )
        sd *= math.sqrt(max(1 - result.variance_reduction, 0.0))
    total = len(control) + len(treated)
    mde = days = left = None
    plan = stats.Plan(share, rules.alpha, rules.tuning_units, rules.power)
    if math.isfinite(sd) and sd > 0:
        mde = stats.minimum_detectable_effect(sd, total, plan)
        mde = mde if math.isfinite(mde) else None
        if per_day > 0 and math.isfinite(effect) and effect > 0:
            in_pair = (rules.split[name] + rules.split[rules.control]) / sum(rules.split.values())
            days = stats.days_needed(effect, sd, per_day * in_pair, plan)
            left = None if days is None else max(days - experiment.days, 0.0)
    verdict: Verdict = "not_enough_data"
    if enough and result is not None:
        verdict = "inconclusive"
        if result.low > 0 or result.high < 0:
            up = result.low > 0
            verdict = "better" if up == (rules.better == "higher") else "worse"
    return Comparison(
        variant=name,
        verdict=verdict,
        estimate=result.estimate if result else None,
        low=result.low if result else None,
        high=result.high if result else None,
        relative=optional(result.relative) if result else None,
        variance_reduction=result.variance_reduction if result and rules.pre_period else None,
        error_rate_difference=errors,
        errors_worse=errors_worse,
        score_shift=shift,
        score_ks=ks,
        paired=paired,
        agreement=agreement,
        mde=mde,
        days_needed=days,
        days_left=left,
    )


def analyse(experiment: Experiment, rules: Impact) -> ImpactReport:
    """The whole report: per variant, the split's check, and each challenger's comparison."""
    seen = set(experiment.rows["variant"])
    unknown = sorted(seen - set(rules.split))
    if unknown or rules.control not in rules.split:
        raise ImpactError(
            f"the log names variant(s) {', '.join(sorted(seen))}; params.yaml's impact.split "
            f"has {', '.join(rules.split)} and impact.control is {rules.control!r}. Name every "
            "variant the router sets in X-Variant (without it, the model version) in impact.split"
        )
    names = list(rules.split)
    counts = [int((experiment.units["variant"] == name).sum()) for name in names]
    total = sum(counts)
    variants = [summarise(experiment, rules, name, total) for name in names]
    srm_p = stats.sample_ratio_p(counts, list(rules.split.values()))
    per_day = total / max(experiment.days, 1.0)
    comparisons = [
        compare(experiment, rules, name, per_day) for name in names if name != rules.control
    ]
    status, summary = conclude(rules, srm_p, experiment.crossed, comparisons)
    return ImpactReport(
        status=status,
        summary=summary,
        metric=rules.metric,
        better=rules.better,
        control=rules.control,
        cuped=rules.pre_period is not None,
        alpha=rules.alpha,
        target_lift=rules.target_lift,
        sample_ratio_p=srm_p,
        crossed_ids=experiment.crossed,
        days=experiment.days,
        units_per_day=per_day,
        outcomes_until=experiment.outcomes_until,
        variants=variants,
        comparisons=comparisons,
    )


def conclude(
    rules: Impact, srm_p: float, crossed: int, comparisons: list[Comparison]
) -> tuple[Status, str]:
    """The headline: the first problem in order of trust, else the challengers' verdicts."""
    if srm_p < rules.srm_p:
        return "sample_ratio_mismatch", (
            f"sample ratio mismatch (p = {srm_p:.2g} < {rules.srm_p}): the variants did not get "
            "the configured shares of ids, so no comparison can be trusted. Check the router's "
            f"split, its sticky key, and ids lost or doubled ({crossed} logged in two variants)"
        )
    breached = [c.variant for c in comparisons if c.errors_worse]
    if breached:
        names = ", ".join(breached)
        return "guardrail", f"guardrail: {names} failed more requests than {rules.control}"
    verdicts = {c.verdict for c in comparisons}
    lines = [describe(rules, c) for c in comparisons]
    status: Status = verdicts.pop() if len(verdicts) == 1 else "mixed"
    return status, "; ".join(lines)


def describe(rules: Impact, comparison: Comparison) -> str:
    """One sentence per challenger."""
    name, verdict = comparison.variant, comparison.verdict
    plan = (
        f"{rules.target_lift:.0%} lift needs about {comparison.days_needed} days of this traffic "
        f"({comparison.days_left:.1f} more)"
        if comparison.days_needed is not None and comparison.days_left is not None
        else f"the traffic so far cannot detect a {rules.target_lift:.0%} lift within a year"
        if comparison.mde is not None
        else "the duration needs outcomes to estimate the metric's spread"
    )
    if verdict == "not_enough_data":
        return (
            f"{name}: not enough data (fewer than {rules.min_units} ids with an outcome in a "
            f"variant); no verdict yet; {plan}"
        )
    interval = f"[{comparison.low:+.4g}, {comparison.high:+.4g}]"
    if verdict == "inconclusive":
        return f"{name}: no difference in {rules.metric} shown yet ({interval} includes 0); {plan}"
    return f"{name}: {verdict} than {rules.control} on {rules.metric} ({interval}, always-valid)"
