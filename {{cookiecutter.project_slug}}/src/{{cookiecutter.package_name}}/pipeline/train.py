"""DVC stage `train`: fit the model on the training split, score it on the test split.

The model is saved with skops and the run logged to MLflow (registered, alias `challenger`,
with its lineage as version tags: commit, training-data hash, hyperparameter hash, contract
hash).
"""

from __future__ import annotations

import argparse
import logging

import pandas as pd
from sklearn.pipeline import Pipeline

from {{ cookiecutter.package_name }}.core import git
from {{ cookiecutter.package_name }}.core.contract import TARGET, fingerprint
from {{ cookiecutter.package_name }}.core.estimators import ModelKind
from {{ cookiecutter.package_name }}.core.files import (
    sha256_of,
    sha256_of_json,
    write_json,
)
from {{ cookiecutter.package_name }}.core.metrics import evaluate
from {{ cookiecutter.package_name }}.core.model import build, features_of, save
from {{ cookiecutter.package_name }}.core.params import load_params
from {{ cookiecutter.package_name }}.core.settings import TrackingSettings

log = logging.getLogger(__name__)


def train(frame: pd.DataFrame, kind: ModelKind) -> Pipeline:
    """The kind's pipeline fitted on the contract's features of `frame`."""
    return build(kind).fit(features_of(frame), TARGET.task.truth(frame[TARGET.name]))


def run(args: argparse.Namespace) -> int:
    """The train stage: fit, save the model and its test metrics, then log the run to MLflow."""
    params = load_params()
    paths = params.paths
    training = pd.read_parquet(paths.prepared / "train.parquet")
    test = pd.read_parquet(paths.prepared / "test.parquet")
    kind = params.model
    log.info(
        f"train: fitting {kind.kind} ({TARGET.task.name} of {TARGET.name}) "
        f"on {len(training):,} rows"
    )

    model = train(training, kind)
    test_metrics = evaluate(model, test)
    save(model, paths.model)
    write_json(paths.train_metrics, test_metrics)
    log.info(f"train: test {test_metrics}")

    log.info(f"train: logging the run to MLflow ({params.mlflow.experiment})")
    # registry imports mlflow, which takes seconds: only once there is something to log.
    from {{ cookiecutter.package_name }}.tracking.registry import log_training

    hyperparameters = kind.model_dump()
    run = log_training(
        model,
        example=features_of(training.head(5)),
        params={"task": TARGET.task.name, "rows": len(training), **hyperparameters},
        metrics=test_metrics,
        lineage={
            "git_commit": git.commit(),
            "data_sha256": sha256_of(paths.prepared / "train.parquet"),
            "params_sha256": sha256_of_json(hyperparameters),
            "contract_sha256": fingerprint(),
        },
        settings=TrackingSettings.from_env().applied_to(params.mlflow),
    )
    run.save(paths.run_info)
    print(f"train: registered {run.registered_model} v{run.version}")
    return 0
