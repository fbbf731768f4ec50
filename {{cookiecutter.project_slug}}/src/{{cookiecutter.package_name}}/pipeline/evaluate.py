"""DVC stage `evaluate`: score the trained model and a trivial one on the golden set.

Writes the golden metrics the gate compares with the baseline, with the hashes that make
the comparison meaningful (same golden set, same contract), and the plot data.
"""

from __future__ import annotations

import argparse
import logging
from importlib.metadata import version

import pandas as pd

from {{ cookiecutter.package_name }}.core.contract import TARGET, fingerprint
from {{ cookiecutter.package_name }}.core.files import sha256_of
from {{ cookiecutter.package_name }}.core.metrics import (
    evaluate,
    predictions,
    score,
    trivial_model,
)
from {{ cookiecutter.package_name }}.core.model import load
from {{ cookiecutter.package_name }}.core.params import Params, load_params
from {{ cookiecutter.package_name }}.core.records import (
    GoldenReport,
    GoldenSet,
    RunInfo,
)
from {{ cookiecutter.package_name }}.core.settings import TrackingSettings
from {{ cookiecutter.package_name }}.core.task import Predictions
from {{ cookiecutter.package_name }}.core.validation import read_csv, validate

# The libraries the golden scores depend on; their versions are recorded next to the scores.
log = logging.getLogger(__name__)

SCORING_LIBRARIES = ("scikit-learn", "numpy", "scipy", "pandas")


def golden_report(params: Params) -> tuple[GoldenReport, pd.Series, Predictions]:
    """The golden metrics with the trivial model's and the hashes the gate checks."""
    paths = params.paths
    model = load(paths.model)
    golden = validate(read_csv(paths.golden), params.validation, str(paths.golden))
    training = pd.read_parquet(paths.prepared / "train.parquet")
    predicted = predictions(model, golden)
    report = GoldenReport(
        metrics=score(TARGET.task.truth(golden[TARGET.name]), predicted.score),
        trivial=evaluate(trivial_model(training), golden),
        golden=GoldenSet(
            path=paths.golden.as_posix(), sha256=sha256_of(paths.golden), rows=len(golden)
        ),
        contract_sha256=fingerprint(),
        libraries={name: version(name) for name in SCORING_LIBRARIES},
    )
    return report, golden[TARGET.name], predicted


def run(args: argparse.Namespace) -> int:
    """The evaluate stage: golden metrics and plots, then the MLflow log."""
    params = load_params()
    log.info(f"evaluate: scoring the model on {params.paths.golden}")
    report, truth, predicted = golden_report(params)
    report.save(params.paths.golden_metrics)
    TARGET.task.write_plots(truth, predicted, params.paths.reports / "plots")
    log.info(f"evaluate: golden {report.metrics} (trivial model: {report.trivial})")

    # registry imports mlflow, which takes seconds: only once there is something to log.
    from {{ cookiecutter.package_name }}.tracking.registry import log_evaluation

    run = RunInfo.load(params.paths.run_info)
    tags = {"golden_sha256": report.golden.sha256}
    tracking = TrackingSettings.from_env().applied_to(params.mlflow)
    logged_to = log_evaluation(run, report.metrics, tags, tracking)
    if logged_to != run.run_id:
        log.warning(
            f"evaluate: golden scores logged as run {logged_to}, which names the training run "
            f"{run.run_id} (not in this MLflow store, or scored there on another golden set)"
        )
    return 0
