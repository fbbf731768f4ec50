"""The canary judge: each rule, the noise it must not mistake for a worse model, the verdicts."""

from __future__ import annotations

import math

import pytest

from {{ cookiecutter.package_name }}.canary.judge import (
    IntervalResult,
    Outcome,
    Side,
    Verdict,
    decide,
    explain,
    judge_interval,
    kolmogorov_bound,
    kolmogorov_distance,
    quantile,
    slower_beyond_chance,
)
from {{ cookiecutter.package_name }}.core.params import Deploy, Params

LATENCY_BOUNDS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, math.inf)
SCORE_BOUNDS = (0.25, 0.5, 0.75, math.inf)


def cumulative(bounds: tuple[float, ...], counts: list[float]) -> tuple[tuple[float, float], ...]:
    total, out = 0.0, []
    for bound, count in zip(bounds, counts, strict=True):
        total += count
        out.append((bound, total))
    return tuple(out)


def side(
    requests: float = 100,
    errors: float = 0,
    p99: float | None = 0.004,
    scores: list[float] | None = None,
    latency: list[float] | None = None,
) -> Side:
    """A variant's interval; by default 100 requests in 1-2.5 ms, scores spread evenly."""
    spread = [requests / 4] * 4 if scores is None else scores
    timing = latency or [0, 0, requests, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    return Side(
        requests, errors, p99, cumulative(SCORE_BOUNDS, spread), cumulative(LATENCY_BOUNDS, timing)
    )


@pytest.fixture
def rules(params: Params) -> Deploy:
    return params.deploy.model_copy(update={"min_requests": 50, "intervals": 3})


def outcome(champion: Side, challenger: Side, rules: Deploy) -> IntervalResult:
    return judge_interval(0, champion, challenger, rules)


def failed_metrics(result: IntervalResult) -> set[str]:
    return {check.metric for check in result.checks if not check.passed}


def test_the_same_behaviour_passes_every_metric(rules: Deploy) -> None:
    result = outcome(side(), side(), rules)

    assert result.outcome is Outcome.PASSED
    assert {check.metric for check in result.checks} == {"error_rate", "latency_p99", "score_shift"}


@pytest.mark.parametrize(("champion", "challenger"), [(100, 49), (100, 0), (0, 80)])
def test_too_little_traffic_is_inconclusive_not_a_pass(
    rules: Deploy, champion: float, challenger: float
) -> None:
    result = outcome(side(requests=champion), side(requests=challenger, p99=None), rules)

    assert result.outcome is Outcome.INCONCLUSIVE
    assert "not enough traffic" in result.reason
    assert result.checks == ()


def test_five_percent_errors_fail_and_a_missing_error_series_counts_as_zero(rules: Deploy) -> None:
    result = outcome(side(errors=0), side(errors=5), rules)

    check = next(check for check in result.checks if check.metric == "error_rate")
    assert result.outcome is Outcome.FAILED
    assert (check.champion, check.challenger) == (0.0, 0.05)
    assert not check.egregious  # 5 x the 0.01 tolerance is the limit, not over it


def test_an_error_rate_far_over_its_tolerance_is_egregious(rules: Deploy) -> None:
    result = outcome(side(), side(errors=30), rules)

    assert next(c for c in result.checks if c.metric == "error_rate").egregious
    assert decide([result], rules, finished=False) is Verdict.ROLL_BACK


def test_errors_the_champion_also_makes_are_not_held_against_the_challenger(rules: Deploy) -> None:
    assert outcome(side(errors=4), side(errors=4), rules).outcome is Outcome.PASSED


def test_a_challenger_ten_times_slower_fails_on_latency(rules: Deploy) -> None:
    slow = side(p99=0.04, latency=[0, 0, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0])  # all in 10-25 ms

    result = outcome(side(), slow, rules)

    assert failed_metrics(result) == {"latency_p99"}


def test_one_slow_request_in_an_interval_is_noise_not_a_slower_model(rules: Deploy) -> None:
    # p99 of 100 requests is about the slowest one: a single 200 ms hiccup makes it 0.2 s.
    hiccup = side(p99=0.2, latency=[0, 0, 99, 0, 0, 0, 0, 0, 1, 0, 0, 0])

    assert outcome(side(), hiccup, rules).outcome is Outcome.PASSED


def test_latency_under_the_floor_is_not_compared(rules: Deploy) -> None:
    # 1 ms against 4 ms: four times slower, but under 1.5 x the 5 ms floor.
    fast = side(p99=0.001, latency=[0, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    slower = side(p99=0.004, latency=[0, 0, 50, 50, 0, 0, 0, 0, 0, 0, 0, 0])

    assert outcome(fast, slower, rules).outcome is Outcome.PASSED


def test_shifted_scores_fail(rules: Deploy) -> None:
    shifted = side(scores=[0, 0, 50, 50])  # every score above 0.5

    result = outcome(side(), shifted, rules)

    assert failed_metrics(result) == {"score_shift"}
    assert next(c for c in result.checks if c.metric == "score_shift").challenger == 0.5


def test_sampling_noise_in_scores_is_not_a_shift(rules: Deploy) -> None:
    # 0.15 apart on 60 requests each: under the Kolmogorov bound of two such samples (0.30).
    noisy = side(requests=60, scores=[24, 15, 12, 9])
    assert kolmogorov_distance(side(requests=60).scores, noisy.scores) == pytest.approx(0.15)

    assert outcome(side(requests=60), noisy, rules).outcome is Outcome.PASSED


def test_kolmogorov_distance_and_bound() -> None:
    same = cumulative(SCORE_BOUNDS, [1, 1, 1, 1])
    assert kolmogorov_distance(same, same) == 0
    assert kolmogorov_distance(same, cumulative(SCORE_BOUNDS, [0, 0, 0, 4])) == 0.75
    assert kolmogorov_distance(same, ()) is None
    assert kolmogorov_distance(cumulative(SCORE_BOUNDS, [0, 0, 0, 0]), same) is None
    with pytest.raises(ValueError, match="different buckets"):
        kolmogorov_distance(same, ((0.5, 1.0), (math.inf, 2.0)))
    # The textbook constant for alpha 0.05 is 1.358; the bound shrinks with the samples.
    assert kolmogorov_bound(1e6, 1e6, 0.05) == pytest.approx(1.358 * math.sqrt(2e-6), rel=1e-3)
    assert kolmogorov_bound(1000, 1000, 0.01) < kolmogorov_bound(60, 60, 0.01)


def test_quantile_interpolates_inside_a_bucket_as_prometheus_does() -> None:
    buckets = ((0.01, 50.0), (0.02, 100.0), (math.inf, 100.0))

    assert quantile(buckets, 0.75) == pytest.approx(0.015)
    assert quantile(buckets, 0.25) == pytest.approx(0.005)
    assert quantile(((0.01, 1.0), (math.inf, 2.0)), 0.99) == 0.01  # in +Inf: the last bound
    assert quantile((), 0.5) is None


def test_mann_whitney_tells_a_slower_challenger_from_noise() -> None:
    fast = cumulative(LATENCY_BOUNDS, [0, 10, 40, 10, 0, 0, 0, 0, 0, 0, 0, 0])
    same = cumulative(LATENCY_BOUNDS, [0, 12, 37, 11, 0, 0, 0, 0, 0, 0, 0, 0])
    slower = cumulative(LATENCY_BOUNDS, [0, 0, 5, 10, 30, 15, 0, 0, 0, 0, 0, 0])

    assert slower_beyond_chance(fast, slower, 0.01)
    assert not slower_beyond_chance(fast, same, 0.01)
    assert not slower_beyond_chance(slower, fast, 0.01)  # faster is never a failure
    assert not slower_beyond_chance(fast, (), 0.01)


def test_a_champion_outlier_does_not_hide_a_challenger_slower_throughout(rules: Deploy) -> None:
    # The champion's p99 is one 200 ms hiccup; the challenger is ten times slower every time.
    champion = side(p99=0.2, latency=[0, 0, 99, 0, 0, 0, 0, 0, 1, 0, 0, 0])
    slow = side(p99=0.04, latency=[0, 0, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0])

    assert failed_metrics(outcome(champion, slow, rules)) == {"latency_p99"}


def interval(index: int, result: Outcome) -> IntervalResult:
    return IntervalResult(index, result, (), f"interval {index} {result}", 100, 100)


PASS, FAIL, QUIET = Outcome.PASSED, Outcome.FAILED, Outcome.INCONCLUSIVE


@pytest.mark.parametrize(
    ("outcomes", "finished", "verdict"),
    [
        ([PASS, PASS, PASS], True, Verdict.PROMOTE),
        ([PASS, PASS], False, Verdict.HOLD),
        ([FAIL], False, Verdict.HOLD),
        ([FAIL, PASS, FAIL], False, Verdict.ROLL_BACK),
        ([PASS, FAIL, PASS], True, Verdict.HOLD),
        ([PASS, QUIET, PASS], True, Verdict.INCONCLUSIVE),
        ([QUIET, QUIET, QUIET], True, Verdict.INCONCLUSIVE),
        ([], True, Verdict.INCONCLUSIVE),
    ],
)
def test_verdicts(rules: Deploy, outcomes: list[Outcome], finished: bool, verdict: Verdict) -> None:
    results = [interval(index, each) for index, each in enumerate(outcomes)]

    assert decide(results, rules, finished=finished) is verdict


def test_the_explanation_names_the_failed_interval(rules: Deploy) -> None:
    results = [interval(0, FAIL), interval(1, FAIL)]

    text = explain(results, Verdict.ROLL_BACK, rules)

    assert "2 failed interval(s)" in text
    assert "interval 2: interval 1 failed" in text
    assert "never a pass" in explain([interval(0, QUIET)], Verdict.INCONCLUSIVE, rules)
