"""Scores on a labelled table, for the model and for a trivial model as the floor to beat.

Which metrics, and what a prediction is, depend on the task: contract.py's `TARGET.task`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from {{ cookiecutter.package_name }}.core.contract import TARGET
from {{ cookiecutter.package_name }}.core.model import features_of
from {{ cookiecutter.package_name }}.core.task import Predictions


def predictions(model: Pipeline, frame: pd.DataFrame) -> Predictions:
    """The model's predictions for the contract's features of `frame`."""
    return TARGET.task.predict(model, features_of(frame))


def score(truth: np.ndarray, score: np.ndarray) -> dict[str, float]:
    """The task's metrics of a score (probabilities or values) against the truth.

    `truth` as the model takes it: `TARGET.task.truth(column)`, class codes for labels.
    """
    return TARGET.task.score(truth, score)


def trivial_model(train: pd.DataFrame) -> Pipeline:
    """A model that ignores the features (prior share or mean): what any model must beat."""
    trivial = Pipeline([("trivial", TARGET.task.trivial_estimator())])
    return trivial.fit(features_of(train), TARGET.task.truth(train[TARGET.name]))


def evaluate(model: Pipeline, frame: pd.DataFrame) -> dict[str, float]:
    """The task's metrics of the model on a labelled table."""
    return score(TARGET.task.truth(frame[TARGET.name]), predictions(model, frame).score)
