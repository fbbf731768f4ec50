"""Experiments simulated on the demo's customers, to calibrate the impact report's statistics.

Customers come from the project's own generator (pipeline/sample_data.py); an experiment
draws `per_day` of them a day, gives each a new id (a run of consecutive ids at a random
start), assigns it by the sticky hash of that id (core/assignment.py), and is looked at every
day. (Assigning each generated customer once, for all experiments, would share one chance
imbalance between the arms across every experiment and bias the rates.) Their outcome is
the generator's: retained (1 - churned), and revenue over the next quarter (3 months of
their bill while they stay, with noise), whose pre-period value is last quarter's bill
(what CUPED uses). A challenger with `lift` keeps that share more of the
customers the champion keeps, by saving some who would have churned (revenue follows).
The template's benchmarks/impact.py runs the same at scale and prints the figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats

from {{ cookiecutter.package_name }}.core.assignment import assign
from {{ cookiecutter.package_name }}.core.contract import TARGET
from {{ cookiecutter.package_name }}.impact import stats
from {{ cookiecutter.package_name }}.pipeline.sample_data import generate

SPLIT = {"champion": 0.5, "challenger": 0.5}
ALPHA = 0.05
TUNING = 10_000
SRM_P = 0.001


@dataclass(frozen=True)
class Population:
    """Customers to draw experiments from: outcomes and pre-period value per customer."""

    treated: np.ndarray  # per id "sim-<n>": its variant is the challenger
    retained: np.ndarray
    revenue: np.ndarray
    before: np.ndarray
    churn_share: float


def population(rows: int = 50_000, seed: int = 7) -> Population:
    """The demo's customers with the outcomes the simulation measures."""
    frame = generate(rows, seed)
    rng = np.random.default_rng(seed)
    if TARGET.name == "churned":
        churned = frame[TARGET.name].to_numpy(float)
    else:  # the regression demo has no churn label: a customer of short expected life churns
        churned = (frame[TARGET.name].rank(pct=True) < 0.3).to_numpy(float)
    bill = frame["monthly_charges"].fillna(frame["monthly_charges"].median()).to_numpy(float)
    before = 3 * bill * rng.lognormal(0, 0.1, rows)
    revenue = 3 * bill * rng.lognormal(0, 0.1, rows) * (1 - churned)
    treated = np.array([assign(f"sim-{n}", SPLIT) == "challenger" for n in range(rows)])
    return Population(treated, 1 - churned, revenue, before, float(churned.mean()))


@dataclass(frozen=True)
class Trial:
    """One simulated experiment, read every day."""

    sequential_any: bool  # the always-valid interval excluded 0 at some daily look
    sequential_final: bool  # ... at the last look
    ttest_any: bool  # the fixed-horizon t-test had p < alpha at some daily look
    ttest_final: bool  # ... at the last look (the one look it is valid at)
    srm_flagged: bool  # the sample-ratio test at the last look


def trial(
    pool: Population,
    rng: np.random.Generator,
    *,
    days: int,
    per_day: int,
    lift: float = 0.0,
    metric: str = "retained",
    cuped: bool = False,
    lost_share: float = 0.0,
) -> Trial:
    """One experiment: assign, apply the lift, look daily; `lost_share` drops challenger ids."""
    units = days * per_day
    rows = rng.integers(0, len(pool.retained), units)
    first = int(rng.integers(0, len(pool.treated)))
    treated = np.resize(np.roll(pool.treated, -first), units)  # ids first, first + 1, ...
    retained = pool.retained[rows].copy()
    revenue = pool.revenue[rows].copy()
    if lift:
        saved_share = lift * (1 - pool.churn_share) / pool.churn_share
        saved = treated & (retained == 0) & (rng.random(units) < saved_share)
        retained[saved] = 1
        revenue[saved] = pool.before[rows][saved]
    if lost_share:  # e.g. the challenger's slow answers time out before they are logged
        kept = ~(treated & (rng.random(units) < lost_share))
        rows, treated, retained, revenue = rows[kept], treated[kept], retained[kept], revenue[kept]
    outcome = retained if metric == "retained" else revenue
    seen = len(outcome) * np.arange(1, days + 1) // days  # ids seen at each daily look
    looks = Looks.of(outcome, pool.before[rows] if cuped else None, treated, seen)
    half = np.array(
        [
            stats.sequential_halfwidth(error, int(units), ALPHA, TUNING)
            for error, units in zip(looks.error, seen, strict=True)
        ]
    )
    sequential = np.abs(looks.estimate) > half
    welch = looks.welch_p()
    counts = [int((~treated).sum()), int(treated.sum())]
    return Trial(
        sequential_any=bool(sequential.any()),
        sequential_final=bool(sequential[-1]),
        ttest_any=bool((welch < ALPHA).any()),
        ttest_final=bool(welch[-1] < ALPHA),
        srm_flagged=stats.sample_ratio_p(counts, list(SPLIT.values())) < SRM_P,
    )


@dataclass(frozen=True)
class Looks:
    """Per daily look: the difference of means (CUPED-adjusted if asked) and its parts.

    Computed from running sums, all looks at once: the same numbers stats.difference gives
    at each look (test_calibration checks that), a hundred times faster.
    """

    estimate: np.ndarray
    error: np.ndarray  # standard error of the estimate
    variances: tuple[np.ndarray, np.ndarray]  # per arm: variance / count
    counts: tuple[np.ndarray, np.ndarray]

    @classmethod
    def of(
        cls, outcome: np.ndarray, before: np.ndarray | None, treated: np.ndarray, seen: np.ndarray
    ) -> Looks:
        """Looks at the first `seen[k]` ids; `before` is the CUPED covariate, if any."""
        x = np.zeros_like(outcome) if before is None else before

        def running(values: np.ndarray) -> np.ndarray:
            totals: np.ndarray = np.concatenate([[0.0], np.cumsum(values)])[seen]
            return totals

        both = running(np.ones_like(outcome))
        x_mean = running(x) / both
        theta = np.zeros(len(seen))
        if before is not None:
            xy = running(x * outcome) / both - x_mean * running(outcome) / both
            xx = running(x * x) / both - x_mean**2
            theta = np.divide(xy, xx, out=np.zeros_like(xy), where=xx > 0)
        means, variances, counts = [], [], []
        for arm in (~treated, treated):
            n = running(arm.astype(float))
            y1, y2 = running(outcome * arm) / n, running(outcome**2 * arm) / n
            x1, x2 = running(x * arm) / n, running(x**2 * arm) / n
            xy = running(x * outcome * arm) / n
            variance = y2 - y1**2 - 2 * theta * (xy - x1 * y1) + theta**2 * (x2 - x1**2)
            variances.append(variance * n / (n - 1) / n)
            means.append(y1 - theta * (x1 - x_mean))
            counts.append(n)
        estimate = means[1] - means[0]
        error = np.sqrt(variances[0] + variances[1])
        return cls(estimate, error, (variances[0], variances[1]), (counts[0], counts[1]))

    def welch_p(self) -> np.ndarray:
        """The fixed-horizon (Welch) t-test's p-value at each look: valid at one look only."""
        a, b = self.variances
        df = (a + b) ** 2 / (a**2 / (self.counts[0] - 1) + b**2 / (self.counts[1] - 1))
        return np.asarray(2 * scipy_stats.t.sf(np.abs(self.estimate) / self.error, df))


def rates(trials: list[Trial]) -> dict[str, float]:
    """Share of trials with each finding."""
    return {
        name: float(np.mean([getattr(t, name) for t in trials]))
        for name in (
            "sequential_any",
            "sequential_final",
            "ttest_any",
            "ttest_final",
            "srm_flagged",
        )
    }


def predicted_power(
    pool: Population, *, units: int, lift: float, metric: str = "retained", cuped: bool = False
) -> float:
    """What the report's calculator predicts for the last look of such an experiment."""
    outcome = pool.retained if metric == "retained" else pool.revenue
    sd = float(np.std(outcome, ddof=1))
    if cuped:
        sd *= float(np.sqrt(1 - np.corrcoef(outcome, pool.before)[0, 1] ** 2))
    effect = (
        lift * float(pool.retained.mean()) if metric == "retained" else lift_in_revenue(pool, lift)
    )
    plan = stats.Plan(SPLIT["challenger"], ALPHA, TUNING)
    return stats.detection_power(effect, sd, units, plan)


def lift_in_revenue(pool: Population, lift: float) -> float:
    """The mean revenue a retention lift adds: each saved customer brings last quarter's bill."""
    churned = pool.retained == 0
    saved_share = lift * (1 - pool.churn_share) / pool.churn_share
    return float(saved_share * pool.before[churned].sum() / len(pool.retained))
