"""Example tables made from the contract alone, so that no test names a column.

Each feature draws values across its range or categories, with missing values where the
contract allows them (`examples` in features.py). The target follows a fixed random function
of the features plus noise, so a model has a real signal to learn and beats the trivial one.
`shifted` moves chosen features the way drift does.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }}.core.contract import FEATURES, ID, TARGET
from {{ cookiecutter.package_name }}.core.features import (
    CategoricalFeature,
    Feature,
    NumericFeature,
)
from {{ cookiecutter.package_name }}.core.model import features_of
from {{ cookiecutter.package_name }}.core.params import Validation
from {{ cookiecutter.package_name }}.core.targets import BinaryTarget, MulticlassTarget
from {{ cookiecutter.package_name }}.core.task import ClassificationValidation

SIGNAL_SEED = 20_240_601  # one fixed function of the features, whatever the table's seed


def signal(frame: pd.DataFrame) -> np.ndarray:
    """A random but fixed linear score of the features (scaled numbers, a weight per category).

    Fixed by the contract alone, never by the frame: a 50-row batch lacking a rare category,
    or with other means, gets the function the model learned from 16,000 rows (with one-hot
    codes of the categories present, or the frame's own mean and SD, a small batch got another
    function and, on a contract with many categories, labels the model could not know).
    """
    rng = np.random.default_rng(SIGNAL_SEED)
    score = np.zeros(len(frame))
    for feature, (_, column) in zip(FEATURES, features_of(frame).items(), strict=True):
        if isinstance(feature, CategoricalFeature):
            draws = rng.normal(0, 1, len(feature.categories))
            weights = dict(zip(feature.categories, draws, strict=True))
            score += column.map(weights).to_numpy(dtype=float, na_value=0.0)
        else:
            centre, spread = scale_of(feature)
            numbers = column.to_numpy(dtype=float)
            score += rng.normal(0, 1) * np.nan_to_num((numbers - centre) / spread)
    scaled: np.ndarray = score / np.sqrt(max(len(FEATURES), 1))
    return scaled


def scale_of(feature: Feature) -> tuple[float, float]:
    """Centre and SD of `examples`' draws: uniform over a number's range, a fair coin flag."""
    if isinstance(feature, NumericFeature):
        span = feature.maximum - feature.minimum
        return (feature.minimum + feature.maximum) / 2, (span / math.sqrt(12)) or 1.0
    return 0.5, 0.5


def target_values(score: np.ndarray, rules: Validation, rng: np.random.Generator) -> np.ndarray:
    """Target values in the middle of what the rules allow, in the table's own form.

    Labels whose positive share sits in the middle of the allowed range, classes in equal
    shares, or values spread over the middle of the target's range, in its units.
    """
    if isinstance(TARGET, BinaryTarget):
        assert isinstance(rules, ClassificationValidation)  # the rules of the target's task
        share = (rules.min_positive_share + rules.max_positive_share) / 2
        noisy = 2 * score + rng.logistic(0, 1, len(score))
        return np.asarray(TARGET.decode(noisy > np.quantile(noisy, 1 - share)))
    if isinstance(TARGET, MulticlassTarget):
        noisy = 2 * score + rng.logistic(0, 1, len(score))
        edges = np.quantile(noisy, np.linspace(0, 1, len(TARGET.classes) + 1)[1:-1])
        return np.asarray(TARGET.decode(np.searchsorted(edges, noisy)))
    middle, span = (TARGET.minimum + TARGET.maximum) / 2, TARGET.maximum - TARGET.minimum
    noisy = score + rng.normal(0, 0.3, len(score))
    values = middle + span * 0.15 * noisy / (np.std(noisy) or 1.0)
    return np.round(np.clip(values, TARGET.minimum, TARGET.maximum), 4)


def example_table(rows: int, seed: int, rules: Validation, id_prefix: str = "T") -> pd.DataFrame:
    """`rows` valid labelled rows: the id (if the contract has one), every feature, the target."""
    rng = np.random.default_rng(seed)
    columns = {feature.name: feature.examples(rows, rng) for feature in FEATURES}
    frame = pd.DataFrame(columns)
    if ID:
        frame.insert(0, ID.name, ID.examples(rows, id_prefix))
    frame[TARGET.name] = target_values(signal(frame), rules, rng)
    return frame


def shifted(frame: pd.DataFrame, features: list[Feature], sds: float, seed: int) -> pd.DataFrame:
    """A copy with `features` moved as `make batch` moves them (`shifted` in features.py)."""
    rng = np.random.default_rng(seed)
    moved = frame.copy()
    for feature in features:
        moved[feature.name] = feature.shifted(moved[feature.name], sds, rng)
    return moved


def drift_features(share: float) -> list[Feature]:
    """The first features, as many as make a dataset drift (`share` of them, at least one)."""
    return list(FEATURES[: max(1, math.ceil(share * len(FEATURES)))])


def records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as a client sends them: every feature by its contract name, null when missing."""
    rows = frame[[feature.name for feature in FEATURES]].astype(object)
    return [{str(name): plain(value) for name, value in row.items()} for _, row in rows.iterrows()]


def plain(value: object) -> object:
    """A JSON value: None for a missing one, Python numbers for numpy's."""
    if pd.isna(value):  # type: ignore[call-overload]
        return None
    return value.item() if isinstance(value, np.generic) else value
