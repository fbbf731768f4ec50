"""Scores on a labelled table, for the model and for a trivial model as the floor to beat."""

from __future__ import annotations

import numpy as np
import pandas as pd
{%- if cookiecutter.task == "classification" %}
from sklearn.dummy import DummyClassifier
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    brier_score_loss,
    f1_score,
    roc_auc_score,
)
{%- else %}
from sklearn.dummy import DummyRegressor
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error
{%- endif %}
from sklearn.pipeline import Pipeline

from {{ cookiecutter.package_name }}.contract import TARGET
from {{ cookiecutter.package_name }}.model import features_of
{%- if cookiecutter.task == "classification" %}

THRESHOLD = 0.5


def predictions(model: Pipeline, frame: pd.DataFrame) -> np.ndarray:
    """Probability of the positive class for each row."""
    return model.predict_proba(features_of(frame))[:, 1]


def score(truth: pd.Series, probability: np.ndarray) -> dict[str, float]:
    label = (probability >= THRESHOLD).astype(int)
    return {
        "roc_auc": float(roc_auc_score(truth, probability)),
        "average_precision": float(average_precision_score(truth, probability)),
        "f1": float(f1_score(truth, label, zero_division=0)),
        "accuracy": float(accuracy_score(truth, label)),
        "brier_score": float(brier_score_loss(truth, probability)),
    }


def trivial_model(train: pd.DataFrame) -> Pipeline:
    """Always predicts the training share of positives: what any model must beat."""
    return Pipeline([("prior", DummyClassifier(strategy="prior"))]).fit(
        features_of(train), train[TARGET.name]
    )
{%- else %}


def predictions(model: Pipeline, frame: pd.DataFrame) -> np.ndarray:
    return model.predict(features_of(frame))


def score(truth: pd.Series, predicted: np.ndarray) -> dict[str, float]:
    return {
        "rmse": float(root_mean_squared_error(truth, predicted)),
        "mae": float(mean_absolute_error(truth, predicted)),
        "r2": float(r2_score(truth, predicted)),
    }


def trivial_model(train: pd.DataFrame) -> Pipeline:
    """Always predicts the training mean: what any model must beat."""
    return Pipeline([("mean", DummyRegressor(strategy="mean"))]).fit(
        features_of(train), train[TARGET.name]
    )
{%- endif %}


def evaluate(model: Pipeline, frame: pd.DataFrame) -> dict[str, float]:
    return score(frame[TARGET.name], predictions(model, frame))
