"""The statistics of the impact report: pure functions of numpy arrays, each checked by simulation.

- A sample-ratio-mismatch test: Pearson's chi-square of units per variant against the
  configured split.
- CUPED (Deng, Xu, Kohavi and Walker, WSDM 2013): the outcome minus theta times the centred
  pre-period covariate, theta = cov(Y, X) / var(X) over both arms; the same mean difference,
  with the variance shrunk by (1 - corr(X, Y)^2).
- An always-valid confidence interval for the difference of means (a confidence sequence):
  the Gaussian-mixture boundary of Howard, Ramdas, McAuliffe and Sekhon, "Time-uniform,
  nonparametric, nonasymptotic confidence sequences", Annals of Statistics 2021 (eq. 14,
  the two-sided normal mixture), as GrowthBook's gbstats computes it
  (`sequential_interval_halfwidth`): with N units in all and s2 = N * var(estimate),
      halfwidth = sqrt(s2 * 2 (N rho^2 + 1) / (N^2 rho^2) * log(sqrt(N rho^2 + 1) / alpha)),
      rho = sqrt((-2 log alpha + log(-2 log alpha + 1)) / N_tuning).
  It holds at every look at once, so it may be read daily: a fixed-horizon interval read
  daily is wrong far more often than alpha (tests/impact/ and the template's
  benchmarks/impact.py measure both).
- The minimum detectable effect of that interval, and the days of traffic it needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

DEFAULT_POWER = 0.8


@dataclass(frozen=True)
class Difference:
    """Treatment minus control in a metric's mean, with its always-valid interval."""

    control_mean: float
    treatment_mean: float
    estimate: float  # difference of means (CUPED-adjusted when a covariate was given)
    standard_error: float
    low: float
    high: float
    variance_reduction: float  # share of the variance CUPED removed (0 without a covariate)

    @property
    def relative(self) -> float:
        """The difference as a share of the control's mean (nan when that mean is 0)."""
        return self.estimate / self.control_mean if self.control_mean else math.nan


def sample_ratio_p(counts: list[int], shares: list[float]) -> float:
    """P-value of the observed units per variant under the configured shares (chi-square)."""
    observed = np.asarray(counts, dtype=float)
    expected = np.asarray(shares, dtype=float) / sum(shares) * observed.sum()
    if observed.sum() == 0:
        return 1.0
    return float(stats.chisquare(observed, expected).pvalue)


def cuped_theta(outcome: np.ndarray, covariate: np.ndarray) -> float:
    """The regression slope of outcome on the pre-period covariate (0 when it is constant)."""
    variance = float(np.var(covariate))
    if variance == 0:
        return 0.0
    return float(np.cov(outcome, covariate, ddof=0)[0, 1] / variance)


def mixture_rho(alpha: float, tuning_units: float) -> float:
    """The mixture's spread, tuned to be tightest near `tuning_units` (gbstats' default: 5000)."""
    return math.sqrt((-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tuning_units)


def sequential_halfwidth(
    standard_error: float, units: int, alpha: float, tuning_units: float
) -> float:
    """Half the width of the always-valid interval (see the module's docstring)."""
    rho = mixture_rho(alpha, tuning_units)
    s2 = standard_error**2 * units
    spread = units * rho**2 + 1
    return math.sqrt(s2 * 2 * spread / (units**2 * rho**2) * math.log(math.sqrt(spread) / alpha))


def difference(
    control: np.ndarray,
    treatment: np.ndarray,
    *,
    alpha: float,
    tuning_units: float,
    control_pre: np.ndarray | None = None,
    treatment_pre: np.ndarray | None = None,
) -> Difference:
    """Treatment minus control, CUPED-adjusted when both pre-period arrays are given."""
    reduction = 0.0
    if control_pre is not None and treatment_pre is not None:
        pre = np.concatenate([control_pre, treatment_pre])
        both = np.concatenate([control, treatment])
        theta = cuped_theta(both, pre)
        centre = float(pre.mean())
        raw = float(np.var(both))
        control = control - theta * (control_pre - centre)
        treatment = treatment - theta * (treatment_pre - centre)
        adjusted = float(np.var(np.concatenate([control, treatment])))
        reduction = 1 - adjusted / raw if raw else 0.0
    error = math.sqrt(
        float(np.var(control, ddof=1)) / len(control)
        + float(np.var(treatment, ddof=1)) / len(treatment)
    )
    estimate = float(treatment.mean() - control.mean())
    half = sequential_halfwidth(error, len(control) + len(treatment), alpha, tuning_units)
    return Difference(
        control_mean=float(control.mean()),
        treatment_mean=float(treatment.mean()),
        estimate=estimate,
        standard_error=error,
        low=estimate - half,
        high=estimate + half,
        variance_reduction=reduction,
    )


@dataclass(frozen=True)
class Plan:
    """How an experiment is run: the treated share of units, the interval's level and tuning."""

    treatment_share: float
    alpha: float
    tuning_units: float
    power: float = DEFAULT_POWER

    def standard_error(self, sd: float, units: int) -> float:
        """The difference's standard error with `units` in all (inf when an arm has < 2)."""
        treated = units * self.treatment_share
        if treated < 2 or units - treated < 2:
            return math.inf
        return sd * math.sqrt(1 / treated + 1 / (units - treated))


def minimum_detectable_effect(sd: float, units: int, plan: Plan) -> float:
    """The smallest true difference the always-valid interval excludes 0 for, with plan.power.

    With a per-unit SD `sd` the estimate is normal around the effect with standard error
    se, and crosses the halfwidth h with probability `power` when effect = h + z_power * se
    (at this one look; reading the interval daily only finds it sooner).
    """
    error = plan.standard_error(sd, units)
    if math.isinf(error):
        return math.inf
    half = sequential_halfwidth(error, units, plan.alpha, plan.tuning_units)
    return half + float(stats.norm.ppf(plan.power)) * error


def detection_power(effect: float, sd: float, units: int, plan: Plan) -> float:
    """The chance the interval at `units` excludes 0 when the true difference is `effect`."""
    error = plan.standard_error(sd, units)
    if math.isinf(error):
        return 0.0
    half = sequential_halfwidth(error, units, plan.alpha, plan.tuning_units)
    return float(stats.norm.cdf((abs(effect) - half) / error))


def days_needed(
    effect: float, sd: float, units_per_day: float, plan: Plan, horizon_days: int = 365
) -> int | None:
    """Days of traffic until `effect` is detected with plan.power; None beyond `horizon_days`."""
    for day in range(1, horizon_days + 1):
        if detection_power(effect, sd, int(units_per_day * day), plan) >= plan.power:
            return day
    return None
