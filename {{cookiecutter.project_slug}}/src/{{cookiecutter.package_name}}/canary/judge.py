"""The canary judge: pure functions from per-interval measurements to a verdict.

Each interval compares the challenger with the champion serving the same traffic at the same
time (error rate, p99 latency, the distribution of prediction scores), each by its rule in
params.yaml `deploy.metrics`. Too few challenger requests make an interval inconclusive, never
a pass. The Argo AnalysisTemplate in deploy/ states the same rules in PromQL.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from statistics import NormalDist

from {{ cookiecutter.package_name }}.core.params import CanaryRule, Deploy, LatencyRule


class Outcome(StrEnum):
    """What one interval showed."""

    PASSED = "passed"
    FAILED = "failed"
    INCONCLUSIVE = "inconclusive"


class Verdict(StrEnum):
    """What to do with the challenger: the run's answer (hold: keep watching, decide later)."""

    PROMOTE = "promote"
    HOLD = "hold"
    ROLL_BACK = "roll back"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Side:
    """One variant's measurements in one interval, as Prometheus reports them.

    `scores`, `latency`: cumulative counts of the score and latency histograms by upper bound
    (the last is +Inf). `p99` is None when the variant answered nothing in the interval.
    """

    requests: float
    errors: float
    p99: float | None
    scores: tuple[tuple[float, float], ...]
    latency: tuple[tuple[float, float], ...] = ()

    @property
    def error_rate(self) -> float | None:
        """The share of 5xx answers; None without requests."""
        return self.errors / self.requests if self.requests > 0 else None


@dataclass(frozen=True)
class Check:
    """One metric in one interval: both values, how much worse the challenger is, the verdict."""

    metric: str
    champion: float
    challenger: float
    worse_by: float
    tolerance: float
    passed: bool
    egregious: bool


@dataclass(frozen=True)
class IntervalResult:
    """One judged interval: its outcome, the checks behind it, and why in words."""

    index: int
    outcome: Outcome
    checks: tuple[Check, ...]
    reason: str
    champion_requests: float
    challenger_requests: float


def worse_by(rule: CanaryRule, champion: float, challenger: float) -> float:
    """How much worse the challenger is (negative: better), by the rule's direction."""
    return challenger - champion if rule.direction == "lower" else champion - challenger


def kolmogorov_distance(
    first: Sequence[tuple[float, float]], second: Sequence[tuple[float, float]]
) -> float | None:
    """The largest gap between two cumulative histograms' shares (0: same, 1: disjoint).

    Both must have the same bucket bounds; None when either holds no observation.
    """
    if not first or not second or first[-1][1] <= 0 or second[-1][1] <= 0:
        return None
    if [bound for bound, _ in first] != [bound for bound, _ in second]:
        raise ValueError("the two score histograms have different buckets")
    total_a, total_b = first[-1][1], second[-1][1]
    return max(abs(a / total_a - b / total_b) for (_, a), (_, b) in zip(first, second, strict=True))


def quantile(buckets: Sequence[tuple[float, float]], q: float) -> float | None:
    """The q-quantile of a cumulative histogram, as Prometheus's histogram_quantile computes it.

    Linear within a bucket; the highest finite bound when it falls in the +Inf bucket.
    """
    total = buckets[-1][1] if buckets else 0.0
    if total <= 0:
        return None
    rank = q * total
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if math.isinf(bound):
                return lower_bound
            inside = count - lower_count
            return lower_bound + (bound - lower_bound) * ((rank - lower_count) / inside)
        lower_bound, lower_count = bound, count
    return lower_bound


def slower_beyond_chance(
    champion: Sequence[tuple[float, float]], challenger: Sequence[tuple[float, float]], alpha: float
) -> bool:
    """Mann-Whitney's one-sided test on two latency histograms: is the challenger slower?

    Kayenta's judge uses it because, with tens of requests an interval, a p99 is the slowest
    request or two: a single scheduler hiccup on either side moves it, not the model. Ties
    within a bucket count half; leaving out the tie correction makes the test conservative.
    """
    n, m = champion[-1][1] if champion else 0.0, challenger[-1][1] if challenger else 0.0
    if n <= 0 or m <= 0:
        return False
    wins, below = 0.0, 0.0
    previous_champion = previous_challenger = 0.0
    for (_, champion_count), (_, challenger_count) in zip(champion, challenger, strict=True):
        champion_here = champion_count - previous_champion
        challenger_here = challenger_count - previous_challenger
        wins += challenger_here * (below + champion_here / 2)
        below += champion_here
        previous_champion, previous_challenger = champion_count, challenger_count
    spread = math.sqrt(n * m * (n + m + 1) / 12)
    return (wins - n * m / 2) / spread > NormalDist().inv_cdf(1 - alpha)


def kolmogorov_bound(first: float, second: float, alpha: float) -> float:
    """The Kolmogorov distance two samples of the same distribution stay under (1 - alpha)."""
    return math.sqrt(-math.log(alpha / 2) / 2) * math.sqrt((first + second) / (first * second))


def error_check(champion: Side, challenger: Side, rules: Deploy) -> Check:
    """The share of 5xx answers; a variant without a 5xx series has none (zero, not unknown)."""
    rule = rules.metrics.error_rate
    champion_rate, challenger_rate = champion.error_rate or 0.0, challenger.error_rate or 0.0
    worse = worse_by(rule, champion_rate, challenger_rate)
    return Check(
        metric="error_rate",
        champion=champion_rate,
        challenger=challenger_rate,
        worse_by=worse,
        tolerance=rule.tolerance,
        passed=worse <= rule.tolerance,
        egregious=worse > rule.tolerance * rules.egregious and worse > 0,
    )


def latency_check(champion: Side, challenger: Side, rules: Deploy) -> Check:
    """p99: the challenger's against (1 + tolerance) x max(the champion's, floor).

    It fails when the challenger's p99 or its median is over that bound and the challenger is
    slower beyond chance (Mann-Whitney, `alpha`). With tens of requests an interval a p99 is
    one request: a hiccup on either side alone decides nothing, and a challenger slower
    throughout shows in its median even when the champion's p99 is one outlier. Never
    egregious (a tail is noisy).
    """
    assert champion.p99 is not None
    assert challenger.p99 is not None
    rule = rules.metrics.latency_p99
    worse = relative_slowdown(rule, champion.p99, challenger.p99)
    failed = worse > rule.tolerance
    if rule.direction == "lower" and champion.latency and challenger.latency:
        medians = (quantile(champion.latency, 0.5), quantile(challenger.latency, 0.5))
        median_worse = relative_slowdown(rule, *medians) if None not in medians else 0.0
        failed = (failed or median_worse > rule.tolerance) and slower_beyond_chance(
            champion.latency, challenger.latency, rules.alpha
        )
    return Check(
        "latency_p99", champion.p99, challenger.p99, worse, rule.tolerance, not failed, False
    )


def relative_slowdown(rule: LatencyRule, champion: float | None, challenger: float | None) -> float:
    """How much slower the challenger is, relative to max(the champion, floor)."""
    if champion is None or challenger is None:
        return 0.0
    reference = max(champion, rule.floor)
    relative = challenger / reference - 1 if reference > 0 else 0.0
    return relative if rule.direction == "lower" else -relative


def judge_interval(index: int, champion: Side, challenger: Side, rules: Deploy) -> IntervalResult:
    """Compare the two variants in one interval by every rule of `deploy.metrics`."""

    def result(outcome: Outcome, checks: tuple[Check, ...], reason: str) -> IntervalResult:
        return IntervalResult(
            index, outcome, checks, reason, champion.requests, challenger.requests
        )

    if challenger.requests < rules.min_requests or champion.requests <= 0:
        return result(
            Outcome.INCONCLUSIVE,
            (),
            f"not enough traffic: {challenger.requests:.0f} challenger requests "
            f"(at least {rules.min_requests}) and {champion.requests:.0f} champion requests",
        )
    checks = [error_check(champion, challenger, rules)]
    if champion.p99 is not None and challenger.p99 is not None:
        checks.append(latency_check(champion, challenger, rules))
    distance = kolmogorov_distance(champion.scores, challenger.scores)
    if distance is not None:
        shift = rules.metrics.score_shift
        # Canary: different requests; shadow: the same, scraped at slightly different moments.
        noise = kolmogorov_bound(champion.scores[-1][1], challenger.scores[-1][1], rules.alpha)
        checks.append(
            Check(
                "score_shift",
                0.0,
                distance,
                distance,
                shift.tolerance,
                distance <= max(shift.tolerance, noise),
                egregious=False,
            )
        )
    failed = [item for item in checks if not item.passed]
    if not failed:
        return result(Outcome.PASSED, tuple(checks), "every metric within its tolerance")
    reasons = "; ".join(
        f"{item.metric} {item.challenger:.4g} against the champion's {item.champion:.4g} "
        f"(worse by {item.worse_by:.4g}, tolerance {item.tolerance:g})"
        for item in failed
    )
    return result(Outcome.FAILED, tuple(checks), reasons)


def decide(results: Sequence[IntervalResult], rules: Deploy, *, finished: bool) -> Verdict:
    """The verdict so far: roll back at `failure_limit` failed intervals or one egregious one.

    Promote only when every one of `intervals` intervals passed; when the run ends otherwise,
    any inconclusive interval makes the run inconclusive, and a failure below the limit holds.
    """
    failed = [item for item in results if item.outcome is Outcome.FAILED]
    egregious = any(check.egregious for item in failed for check in item.checks)
    if len(failed) >= rules.failure_limit or egregious:
        return Verdict.ROLL_BACK
    passed = [item for item in results if item.outcome is Outcome.PASSED]
    if len(passed) >= rules.intervals:
        return Verdict.PROMOTE
    if not finished:
        return Verdict.HOLD
    if any(item.outcome is Outcome.INCONCLUSIVE for item in results) or not results:
        return Verdict.INCONCLUSIVE
    return Verdict.HOLD


def explain(results: Sequence[IntervalResult], verdict: Verdict, rules: Deploy) -> str:
    """The verdict in one sentence, naming the intervals behind it."""
    failed = [item for item in results if item.outcome is Outcome.FAILED]
    if verdict is Verdict.ROLL_BACK:
        worst = failed[-1]
        return (
            f"rolled back after {len(failed)} failed interval(s) (limit {rules.failure_limit}); "
            f"interval {worst.index + 1}: {worst.reason}"
        )
    if verdict is Verdict.PROMOTE:
        return f"every one of {rules.intervals} intervals passed"
    quiet = [item for item in results if item.outcome is Outcome.INCONCLUSIVE]
    if verdict is Verdict.INCONCLUSIVE:
        return (
            f"{len(quiet)} of {len(results)} intervals inconclusive "
            f"({quiet[0].reason if quiet else 'no interval judged'}): never a pass"
        )
    return f"{len(failed)} failed interval(s), under the limit of {rules.failure_limit}: hold"
