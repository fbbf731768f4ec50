"""The model learns real signal, and only trusted model files are ever loaded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline

from {{ cookiecutter.package_name }}.core.metrics import evaluate, trivial_model
from {{ cookiecutter.package_name }}.core.model import (
    ModelLoadError,
    features_of,
    load,
    save,
)
from {{ cookiecutter.package_name }}.core.params import Params


class Passthrough(BaseEstimator, TransformerMixin):  # type: ignore[misc]  # sklearn is untyped
    """A class skops has never heard of: loading it would import code we did not review."""

    def fit(self, features: pd.DataFrame, target: object = None) -> Passthrough:
        return self

    def transform(self, features: pd.DataFrame) -> pd.DataFrame:
        return features


@pytest.fixture(scope="module")
def trained(trained_model_path: Path) -> Pipeline:
    return load(trained_model_path)


def test_model_beats_the_trivial_model_on_unseen_rows(
    trained: Pipeline, table: pd.DataFrame, unseen_table: pd.DataFrame, params: Params
) -> None:
    metric, rule = next(iter(params.gate.metrics.items()))  # the first gated metric
    model_score = evaluate(trained, unseen_table)[metric]
    trivial_score = evaluate(trivial_model(table), unseen_table)[metric]

    better = model_score - trivial_score
    margin = better if rule.direction == "higher" else -better
    assert margin > 0.05 * abs(trivial_score)


def test_saved_model_loads_back_with_identical_predictions(
    trained: Pipeline, unseen_table: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "model.skops"
    save(trained, path)

    loaded = load(path)

    features = features_of(unseen_table)
    # Equal up to float rounding: parallel trees (n_jobs=-1) may add up in another order.
    np.testing.assert_allclose(loaded.predict(features), trained.predict(features), rtol=1e-12)


def test_missing_model_file_says_how_to_make_it(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="make repro"):
        load(tmp_path / "model.skops")


def test_corrupt_model_file_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "model.skops"
    path.write_bytes(b"this is not a model")

    with pytest.raises(ModelLoadError, match="not a readable skops model"):
        load(path)


def test_model_with_an_untrusted_type_is_refused(trained: Pipeline, tmp_path: Path) -> None:
    path = tmp_path / "model.skops"
    skops.io.dump(Pipeline([("custom", Passthrough()), ("model", trained)]), path)

    with pytest.raises(ModelLoadError, match="Passthrough"):
        load(path)
