"""Effect sizes of the change of one feature, or of the model's output, between two samples.

No p-values: with a million rows every difference is "significant", so each measure says how
large the change is, and params.yaml (`drift`) says how large is too large.

- Numeric: the population stability index (PSI) on quantile bins of the reference, and the
  Wasserstein distance divided by the reference's standard deviation. For a pure shift of
  location that ratio is the shift in standard deviations (like Cohen's d). The standard
  deviation is preferred to the IQR because it is zero only for a constant feature, while
  an IQR is zero as soon as half the rows share one value (common in counts); the
  contract's ranges bound the outliers that could inflate it.
- Categorical and boolean: PSI over the categories, and the Jensen-Shannon distance (base 2:
  0 for equal shares, 1 for disjoint ones). Values the contract does not list count as one
  more category, which the training data never holds.

Missing values are left out of both measures; their shares are reported beside them.
A feature has drifted when its PSI or its distance reaches the threshold: PSI catches changes
of shape, the distance catches moderate moves of location that PSI's bins dilute.

Each threshold is the larger of two numbers: the effect size that matters (params.yaml) and
the sampling noise of the measure at these two sample sizes, so that a small batch, or a
small reference, does not raise an alarm by chance. The noise is what the measure reaches,
with probability `false_alarm_rate`, when both samples come from one population: simulated
from the pooled shares (multinomial draws on the bins or categories, cheap at any size) or,
for the Wasserstein distance, from pooled resamples: as counts per distinct value at the real
sizes when the feature has few values (counts, ages: as cheap as the bins), else as at most
NOISE_ROWS rows rescaled to the real sizes (the distance shrinks as sqrt(1/n + 1/m)). A gamma
(PSI, squared JS distance) or a log-normal (Wasserstein) fitted to the simulated values gives
the tail quantile.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon
from scipy.stats import gamma, norm, wasserstein_distance

from {{ cookiecutter.package_name }}.core.params import DriftRules
from {{ cookiecutter.package_name }}.core.records import (
    ColumnStatus,
    FeatureDrift,
    Histogram,
    PredictionDrift,
)
from {{ cookiecutter.package_name }}.core.task import Predictions

EPSILON = 1e-4  # the share an empty bin counts as, so that PSI stays finite
REPLICATES = 1_000  # simulated no-drift pairs per binned measure (multinomial draws)
DISTANCE_REPLICATES = 500  # ... per Wasserstein distance (resampled rows)
NOISE_ROWS = 2_000  # rows per resample for the Wasserstein noise; rescaled to the real sizes
# Up to this many distinct values, a resample is drawn as counts per value (multinomial): one
# draw per value instead of sorting NOISE_ROWS rows (benchmarks/drift_noise.py).
FEW_VALUES = 500
UNKNOWN = "(not in the contract)"  # the bin of a batch's unknown categories


def quantile_edges(reference: np.ndarray, bins: int) -> np.ndarray:
    """Inner bin edges at the reference's quantiles; ties (a point mass) merge into one edge.

    Edges are observed values (inverted CDF), so integer features get integer edges.
    """
    if len(reference) == 0:
        return np.array([])
    inner = np.linspace(0, 1, bins + 1)[1:-1]
    return np.unique(np.quantile(reference, inner, method="inverted_cdf"))


def bin_shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of values per right-closed bin: bin i holds edges[i-1] < x <= edges[i]."""
    bins = np.searchsorted(edges, values, side="left")
    return np.bincount(bins, minlength=len(edges) + 1) / max(len(values), 1)


def psi(reference: np.ndarray, current: np.ndarray) -> float:
    """Population stability index of two share vectors: sum of (cur - ref) * ln(cur / ref)."""
    ref = np.clip(reference, EPSILON, None)
    cur = np.clip(current, EPSILON, None)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def normalized_wasserstein(reference: np.ndarray, current: np.ndarray) -> float:
    """Wasserstein distance in reference standard deviations (unscaled for a constant).

    Computed on the distinct values weighted by their counts: five times faster on a
    million rows than on the raw values, for the same result.
    """
    ref_values, ref_counts = np.unique(reference, return_counts=True)
    cur_values, cur_counts = np.unique(current, return_counts=True)
    distance = wasserstein_distance(ref_values, cur_values, ref_counts, cur_counts)
    return float(distance) / (float(np.std(reference)) or 1.0)


def js_distance(reference: np.ndarray, current: np.ndarray) -> float:
    """Jensen-Shannon distance of two share vectors, in [0, 1] (base 2)."""
    return float(jensenshannon(reference, current, base=2))


def short(value: float) -> str:
    """A bin edge for people: 3 significant digits, whole numbers without a decimal point."""
    if value == round(value) or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def interval_labels(edges: np.ndarray, integer: bool) -> list[str]:
    """Names of the bins of `bin_shares`: "≤ a", "(a, b]", ..., "> z" ("3 to 5" for integers)."""
    if len(edges) == 0:
        return ["all"]
    labels = [f"≤ {short(edges[0])}"]
    for low, high in pairwise(edges):
        if not integer:
            labels.append(f"({short(low)}, {short(high)}]")
        elif high == low + 1:
            labels.append(short(high))
        else:
            labels.append(f"{short(low + 1)} to {short(high)}")
    return [*labels, f"> {short(edges[-1])}"]


def present(values: pd.Series) -> np.ndarray:
    """The non-missing values as floats."""
    array = values.to_numpy(dtype=float, na_value=np.nan)
    kept: np.ndarray = array[~np.isnan(array)]
    return kept


def null_shares(reference: pd.Series, current: pd.Series) -> dict[str, float]:
    """Share of missing values in each sample (0 for an empty one)."""
    return {
        "reference": float(reference.isna().mean()) if len(reference) else 0.0,
        "current": float(current.isna().mean()) if len(current) else 0.0,
    }


def generator(rules: DriftRules, name: str) -> np.random.Generator:
    """A seeded generator per measured column: the same data always gets the same thresholds."""
    return np.random.default_rng([rules.seed, zlib.crc32(name.encode())])


def gamma_tail(samples: np.ndarray, rate: float) -> float:
    """The value exceeded with probability `rate`, from a gamma fitted to the samples.

    A gamma is the shape of PSI and squared distances under no drift (scaled chi-squared).
    """
    mean, variance = float(np.mean(samples)), float(np.var(samples))
    if mean <= 0 or variance <= 0:
        return float(np.max(samples, initial=0.0))
    return float(gamma.ppf(1 - rate, mean**2 / variance, scale=variance / mean))


def lognormal_tail(samples: np.ndarray, rate: float) -> float:
    """The same from a log-normal: the Wasserstein distance's tail is heavier than a gamma's."""
    logs = np.log(samples[samples > 0])
    if len(logs) < len(samples) / 2:
        return float(np.max(samples, initial=0.0))
    return float(np.exp(logs.mean() + norm.ppf(1 - rate) * logs.std()))


def binned_noise(
    counts: np.ndarray, rows: tuple[int, int], rng: np.random.Generator, rate: float
) -> tuple[float, float]:
    """PSI and Jensen-Shannon distance that chance alone reaches with probability `rate`.

    Both samples are drawn from the pooled shares (`counts` per bin, both samples added up)
    at their real sizes, `REPLICATES` times.
    """
    shares = counts / counts.sum()
    reference = rng.multinomial(rows[0], shares, size=REPLICATES) / rows[0]
    current = rng.multinomial(rows[1], shares, size=REPLICATES) / rows[1]
    ref, cur = np.clip(reference, EPSILON, None), np.clip(current, EPSILON, None)
    psi_values = np.sum((cur - ref) * np.log(cur / ref), axis=1)
    js_squared = np.asarray(jensenshannon(reference, current, base=2, axis=1)) ** 2
    return gamma_tail(psi_values, rate), math.sqrt(gamma_tail(np.nan_to_num(js_squared), rate))


def wasserstein_rows(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Wasserstein distance between each row of `first` and the same row of `second`.

    The distance is the area between the two quantile functions; with n and m values per
    row those are steps at multiples of 1/n and 1/m, the same for every row, so one set of
    intervals serves all rows at once.
    """
    n, m = first.shape[1], second.shape[1]
    steps = np.union1d(np.arange(1, n + 1) / n, np.arange(1, m + 1) / m)
    widths = np.diff(steps, prepend=0.0)
    middle = steps - widths / 2
    at_first = np.minimum((middle * n).astype(int), n - 1)
    at_second = np.minimum((middle * m).astype(int), m - 1)
    gaps = np.abs(np.sort(first, axis=1)[:, at_first] - np.sort(second, axis=1)[:, at_second])
    distances: np.ndarray = gaps @ widths
    return distances


def wasserstein_counts(values: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Wasserstein distance between samples given as counts per value (a row per sample).

    `values` sorted and distinct. In one dimension the distance is also the area between the
    two cumulative distribution functions, steps at `values`: no row needs sorting.
    """
    below_first = np.cumsum(first, axis=1)[:, :-1] / first.sum(axis=1, keepdims=True)
    below_second = np.cumsum(second, axis=1)[:, :-1] / second.sum(axis=1, keepdims=True)
    distances: np.ndarray = np.abs(below_first - below_second) @ np.diff(values)
    return distances


def few_values(pooled: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The distinct values and their counts, when there are at most FEW_VALUES of them.

    A continuous feature is told by its first rows (a prefix holds no more distinct values
    than the whole), so a million of them are not sorted only to be found too many.
    """
    if len(np.unique(pooled[: 4 * FEW_VALUES])) > FEW_VALUES:
        return None
    values, counts = np.unique(pooled, return_counts=True)
    return (values, counts) if len(values) <= FEW_VALUES else None


def distance_noise(
    reference: np.ndarray, current: np.ndarray, rng: np.random.Generator, rate: float
) -> float:
    """The normalized Wasserstein distance that chance alone reaches with probability `rate`."""
    pooled = np.concatenate([reference, current])
    few = few_values(pooled)
    if few is not None:  # each sample drawn as counts per value, at its real size
        values, counts = few
        shares = counts / counts.sum()
        first = rng.multinomial(len(reference), shares, size=DISTANCE_REPLICATES)
        second = rng.multinomial(len(current), shares, size=DISTANCE_REPLICATES)
        distances, shrink = wasserstein_counts(values, first, second), 1.0
    else:
        n, m = min(len(reference), NOISE_ROWS), min(len(current), NOISE_ROWS)
        draws = rng.choice(pooled, size=(DISTANCE_REPLICATES, n + m))
        distances = wasserstein_rows(draws[:, :n], draws[:, n:])
        shrink = math.sqrt((1 / len(reference) + 1 / len(current)) / (1 / n + 1 / m))
    return lognormal_tail(distances / (float(np.std(reference)) or 1.0), rate) * shrink


def verdict(batch_rows: int, drifted: bool | None, rules: DriftRules) -> ColumnStatus:
    """Judged only in batches of `min_rows` rows or more, and when measurable (not None)."""
    if batch_rows < rules.min_rows or drifted is None:
        return "insufficient_data"
    return "drift" if drifted else "ok"


def binned(
    reference: np.ndarray, current: np.ndarray, bins: int, integer: bool = False
) -> tuple[Histogram, np.ndarray, float | None]:
    """Both samples on the reference's quantile bins.

    The histogram, the pooled counts and the PSI (None if one sample is empty).
    """
    edges = quantile_edges(reference, bins)
    ref, cur = bin_shares(reference, edges), bin_shares(current, edges)
    histogram = Histogram(interval_labels(edges, integer), ref.tolist(), cur.tolist())
    counts = ref * len(reference) + cur * len(current)
    measurable = len(reference) > 0 and len(current) > 0
    return histogram, counts, psi(ref, cur) if measurable else None


def compare_numeric(
    name: str, reference: pd.Series, current: pd.Series, rules: DriftRules, integer: bool = False
) -> FeatureDrift:
    """PSI on the reference's quantile bins and the normalized Wasserstein distance."""
    ref, cur = present(reference), present(current)
    histogram, counts, psi_value = binned(ref, cur, rules.bins, integer)
    distance, thresholds, alarm = None, {}, None
    if psi_value is not None:
        distance = normalized_wasserstein(ref, cur)
        rng = generator(rules, name)
        psi_noise, _ = binned_noise(counts, (len(ref), len(cur)), rng, rules.false_alarm_rate)
        thresholds = {
            "psi": max(rules.psi_threshold, psi_noise),
            "distance": max(
                rules.wasserstein_threshold,
                distance_noise(ref, cur, rng, rules.false_alarm_rate),
            ),
        }
        alarm = psi_value >= thresholds["psi"] or distance >= thresholds["distance"]
    return FeatureDrift(
        name=name,
        kind="numeric",
        psi=psi_value,
        wasserstein_normalized=distance,
        js=None,
        null_share=null_shares(reference, current),
        rows={"reference": len(ref), "current": len(cur)},
        thresholds=thresholds,
        verdict=verdict(len(current), alarm, rules),
        histogram=histogram,
    )


def category_counts(values: pd.Series, categories: Sequence[object]) -> np.ndarray:
    """Rows per category, in the contract's order (missing values not counted)."""
    counts = values.value_counts(dropna=True)
    return np.array([counts.get(category, 0) for category in categories], dtype=np.int64)


def compare_categories(
    name: str,
    kind: Literal["categorical", "boolean"],
    reference: pd.Series,
    current: pd.Series,
    *,
    categories: Sequence[object],
    labels: list[str],
    rules: DriftRules,
) -> FeatureDrift:
    """Categorical and boolean features: PSI and Jensen-Shannon distance of the shares."""
    ref_counts = category_counts(reference, categories)
    cur_counts = category_counts(current, categories)
    unknown = int(current.notna().sum()) - int(cur_counts.sum())
    if unknown:  # values the contract does not list: a category of their own, drift evidence
        ref_counts, cur_counts = np.append(ref_counts, 0), np.append(cur_counts, unknown)
        labels = [*labels, UNKNOWN]
    rows = int(ref_counts.sum()), int(cur_counts.sum())
    ref, cur = ref_counts / max(rows[0], 1), cur_counts / max(rows[1], 1)
    psi_value = distance = alarm = None
    thresholds = {}
    if rows[0] > 0 and rows[1] > 0:
        psi_value, distance = psi(ref, cur), js_distance(ref, cur)
        psi_noise, js_noise = binned_noise(
            ref_counts + cur_counts, rows, generator(rules, name), rules.false_alarm_rate
        )
        thresholds = {
            "psi": max(rules.psi_threshold, psi_noise),
            "distance": max(rules.js_threshold, js_noise),
        }
        alarm = psi_value >= thresholds["psi"] or distance >= thresholds["distance"]
    return FeatureDrift(
        name=name,
        kind=kind,
        psi=psi_value,
        wasserstein_normalized=None,
        js=distance,
        null_share=null_shares(reference, current),
        rows={"reference": rows[0], "current": rows[1]},
        thresholds=thresholds,
        verdict=verdict(len(current), alarm, rules),
        histogram=Histogram(labels, ref.tolist(), cur.tolist()),
    )


def compare_predictions(
    output: str, reference: np.ndarray, current: np.ndarray, rules: DriftRules
) -> PredictionDrift:
    """PSI of the model's outputs on the reference's quantile bins."""
    histogram, counts, psi_value = binned(reference, current, rules.bins)
    sizes = (len(reference), len(current))
    return judged_prediction(output, psi_value, counts, sizes, histogram=histogram, rules=rules)


def judged_prediction(
    output: str,
    psi_value: float | None,
    counts: np.ndarray,
    sizes: tuple[int, int],
    *,
    histogram: Histogram,
    rules: DriftRules,
) -> PredictionDrift:
    """The verdict on a prediction PSI; the threshold rises to the noise of these sample sizes."""
    threshold, alarm = rules.prediction_psi_threshold, None
    if psi_value is not None:
        rng = generator(rules, "prediction")
        noise, _ = binned_noise(counts, sizes, rng, rules.false_alarm_rate)
        threshold = max(threshold, noise)
        alarm = psi_value >= threshold
    return PredictionDrift(
        output=output,
        psi=psi_value,
        threshold=threshold,
        rows={"reference": sizes[0], "current": sizes[1]},
        verdict=verdict(sizes[1], alarm, rules),
        histogram=histogram,
    )


def compare_outputs(
    output: str, reference: Predictions, current: Predictions, rules: DriftRules
) -> PredictionDrift:
    """The model's outputs, batch against reference.

    Multiclass: the share of each predicted class; otherwise the score (probability or value).
    """
    if reference.probability is not None and reference.probability.ndim == 2:
        labels = [str(label) for label in reference.classes]
        return compare_classes(output, reference.values, current.values, labels, rules)
    return compare_predictions(output, reference.score, current.score, rules)


def compare_classes(
    output: str, reference: np.ndarray, current: np.ndarray, labels: list[str], rules: DriftRules
) -> PredictionDrift:
    """PSI of the share of each predicted class (codes index `labels`), batch against reference."""
    ref_counts = np.bincount(reference.astype(np.int64), minlength=len(labels))
    cur_counts = np.bincount(current.astype(np.int64), minlength=len(labels))
    ref = ref_counts / max(len(reference), 1)
    cur = cur_counts / max(len(current), 1)
    sizes = (len(reference), len(current))
    psi_value = psi(ref, cur) if all(sizes) else None
    histogram = Histogram(labels, ref.tolist(), cur.tolist())
    counts = ref_counts + cur_counts
    return judged_prediction(output, psi_value, counts, sizes, histogram=histogram, rules=rules)


@dataclass(frozen=True)
class Measures:
    """The measures with their settings, as features.py's DriftMeasures: each feature picks."""

    rules: DriftRules

    def numeric(
        self, name: str, reference: pd.Series, current: pd.Series, integer: bool
    ) -> FeatureDrift:
        """PSI on the reference's quantile bins and the normalized Wasserstein distance."""
        return compare_numeric(name, reference, current, self.rules, integer)

    def categories(
        self,
        name: str,
        kind: Literal["categorical", "boolean"],
        reference: pd.Series,
        current: pd.Series,
        *,
        categories: tuple[Any, ...],
        labels: list[str],
    ) -> FeatureDrift:
        """PSI and the Jensen-Shannon distance of the category shares."""
        return compare_categories(
            name, kind, reference, current, categories=categories, labels=labels, rules=self.rules
        )
