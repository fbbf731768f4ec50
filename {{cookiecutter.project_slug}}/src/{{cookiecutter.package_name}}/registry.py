"""MLflow tracking and registry: every run is logged, every trained model registered.

This is the only module that imports mlflow (slow to import), and only inside functions.
The store is params.yaml's `mlflow.tracking_uri` (a local SQLite file) unless the
MLFLOW_TRACKING_URI environment variable points at an MLflow server.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from importlib.metadata import version

import pandas as pd
from sklearn.pipeline import Pipeline

from {{ cookiecutter.package_name }} import git
from {{ cookiecutter.package_name }}.model import TRUSTED_TYPES
from {{ cookiecutter.package_name }}.params import Tracking

CHALLENGER = "challenger"
RUNTIME_PACKAGES = ("scikit-learn", "skops", "numpy", "pandas")


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    tracking_uri: str
    registered_model: str
    version: str


def tracking_uri(settings: Tracking) -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or settings.tracking_uri


def log_training(
    model: Pipeline,
    *,
    example: pd.DataFrame,
    params: dict[str, object],
    metrics: dict[str, float],
    tags: dict[str, str],
    settings: Tracking,
) -> RunInfo:
    """Log one training run, register its model and point the `challenger` alias at it."""
    import mlflow
    import mlflow.sklearn
    from mlflow.models import infer_signature

    uri = tracking_uri(settings)
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(settings.experiment)
    with mlflow.start_run() as run:
        mlflow.log_params(params)
        mlflow.log_metrics({f"test_{name}": value for name, value in metrics.items()})
        mlflow.set_tags({**tags, "git_commit": git.commit()})
        with warnings.catch_warnings():
            # The contract's integer columns never hold nulls, so this MLflow hint does not apply.
            warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
            logged = mlflow.sklearn.log_model(
                model,
                name="model",
                serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_SKOPS,
                skops_trusted_types=TRUSTED_TYPES,
                signature=infer_signature(example, model.predict(example)),
                input_example=example,
                pip_requirements=[f"{name}=={version(name)}" for name in RUNTIME_PACKAGES],
                registered_model_name=settings.registered_model,
            )
    model_version = str(logged.registered_model_version)
    mlflow.MlflowClient().set_registered_model_alias(
        settings.registered_model, CHALLENGER, model_version
    )
    return RunInfo(run.info.run_id, uri, settings.registered_model, model_version)


def log_evaluation(run: RunInfo, metrics: dict[str, float], tags: dict[str, str]) -> None:
    """Add the golden-set scores, and what they were measured on, to the training run."""
    import mlflow

    mlflow.set_tracking_uri(run.tracking_uri)
    with mlflow.start_run(run_id=run.run_id):
        mlflow.log_metrics({f"golden_{name}": value for name, value in metrics.items()})
        mlflow.set_tags(tags)
