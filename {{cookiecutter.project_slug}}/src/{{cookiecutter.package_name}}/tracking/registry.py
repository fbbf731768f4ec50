"""MLflow tracking and registry: every run is logged, every trained model registered.

This is the only module that imports mlflow (slow to import), and only inside functions.
The store is params.yaml's `mlflow.tracking_uri` (a local SQLite file) unless the
MLFLOW_TRACKING_URI environment variable points at an MLflow server (each entry point applies
it: settings.py, TrackingSettings). Every stage logs to
the store configured where it runs, never to the one recorded in models/run.json: a model
pulled from the DVC remote may have been trained, and logged, on another machine.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from sklearn.pipeline import Pipeline

from {{ cookiecutter.package_name }}.core import git
from {{ cookiecutter.package_name }}.core.model import TRUSTED_TYPES
from {{ cookiecutter.package_name }}.core.params import Tracking

CHALLENGER = "challenger"  # the newest trained model
CHAMPION = "champion"  # the model the latest release serves
RUNTIME_PACKAGES = ("scikit-learn", "skops", "numpy", "pandas")

if TYPE_CHECKING:
    from mlflow import MlflowClient


@dataclass(frozen=True)
class RunInfo:
    """What models/run.json records about the training run (and travels with the model)."""

    run_id: str
    tracking_uri: str
    registered_model: str
    version: str
    lineage: dict[str, str]  # git_commit, data_sha256, params_sha256, contract_sha256
    params: dict[str, object]  # the model's hyperparameters


def log_training(
    model: Pipeline,
    *,
    example: pd.DataFrame,
    params: dict[str, object],
    metrics: dict[str, float],
    lineage: dict[str, str],
    settings: Tracking,
) -> RunInfo:
    """Log one training run and register its model, with its lineage as version tags.

    The `challenger` alias points at the new version.
    """
    import mlflow
    import mlflow.sklearn
    from mlflow.models import infer_signature

    uri = settings.tracking_uri
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(settings.experiment)
    with mlflow.start_run() as run:
        mlflow.log_params(params)
        mlflow.log_metrics({f"test_{name}": value for name, value in metrics.items()})
        mlflow.set_tags(lineage)
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
    client = mlflow.MlflowClient()
    for key, value in lineage.items():
        client.set_model_version_tag(settings.registered_model, model_version, key, value)
    client.set_registered_model_alias(settings.registered_model, CHALLENGER, model_version)
    return RunInfo(run.info.run_id, uri, settings.registered_model, model_version, lineage, params)


def log_evaluation(
    run: RunInfo, metrics: dict[str, float], tags: dict[str, str], settings: Tracking
) -> str:
    """Record the golden-set scores, and the golden set's hash, in this machine's store.

    They go to the training run when the store holds it and it was not evaluated on another
    golden set; otherwise (a model pulled from the DVC remote, trained and logged elsewhere,
    or a changed golden set) to a new evaluation run that names the training run. The golden
    hash becomes a tag of the registered version that has none yet. Returns the run id used.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    mlflow.set_tracking_uri(settings.tracking_uri)
    client = mlflow.MlflowClient()
    try:
        training = client.get_run(run.run_id)
    except MlflowException:
        training = None
    golden = tags.get("golden_sha256")
    evaluated_on = training.data.tags.get("golden_sha256") if training else None
    golden_metrics = {f"golden_{name}": value for name, value in metrics.items()}
    if training is not None and evaluated_on in (None, golden):
        with mlflow.start_run(run_id=run.run_id):
            mlflow.log_metrics(golden_metrics)
            mlflow.set_tags(tags)
        evaluation_id = run.run_id
    else:
        mlflow.set_experiment(settings.experiment)
        with mlflow.start_run(run_name="evaluate") as evaluation:
            mlflow.log_metrics(golden_metrics)
            mlflow.set_tags(
                {
                    **tags,
                    "git_commit": git.commit(),
                    "training_run_id": run.run_id,
                    "training_tracking_uri": run.tracking_uri,
                    "training_model_version": f"{run.registered_model} v{run.version}",
                }
            )
        evaluation_id = evaluation.info.run_id
    if training is not None and golden:
        tag_version_once(client, run, "golden_sha256", golden)
    return evaluation_id


def tag_version_once(client: MlflowClient, run: RunInfo, key: str, value: str) -> None:
    """Tag the registered version of `run` with key=value unless it already has that key."""
    from mlflow.exceptions import MlflowException

    try:
        registered = client.get_model_version(run.registered_model, run.version)
    except MlflowException:
        return
    if registered.run_id == run.run_id and key not in registered.tags:
        client.set_model_version_tag(run.registered_model, run.version, key, value)


class RegistryError(RuntimeError):
    """The registry does not hold what was asked for; the message says what to do."""


def set_champion(
    registered_model: str, model_version: str, run_id: str, tags: dict[str, str], settings: Tracking
) -> str:
    """Point the `champion` alias at a version; return the store's URI.

    This store's version must be the one the run trained (not another store's version with
    the same number).
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    uri = settings.tracking_uri
    client = mlflow.MlflowClient(tracking_uri=uri)
    try:
        registered = client.get_model_version(registered_model, model_version)
    except MlflowException:
        raise RegistryError(
            f"{registered_model} version {model_version} is not in the MLflow store {uri}: set "
            "MLFLOW_TRACKING_URI to the store the model was trained against"
        ) from None
    if registered.run_id != run_id:
        raise RegistryError(
            f"{registered_model} version {model_version} in {uri} was trained by run "
            f"{registered.run_id}, not by run {run_id} of the released model: it was trained "
            "against another MLflow store; train where MLFLOW_TRACKING_URI points"
        )
    for key, value in tags.items():
        client.set_model_version_tag(registered_model, model_version, key, value)
    client.set_registered_model_alias(registered_model, CHAMPION, model_version)
    return uri


@dataclass(frozen=True)
class RegisteredModel:
    """A registered version's model file, downloaded, and the version and run it names."""

    path: Path  # the skops file
    name: str
    version: str
    run_id: str


def download_model(uri: str, settings: Tracking, into: Path) -> RegisteredModel:
    """The skops model of `models:/<name>@<alias>` or `models:/<name>/<version>`, in `into`."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # one line per run
    import mlflow
    from mlflow.exceptions import MlflowException

    name, alias, number = parse_model_uri(uri)
    client = mlflow.MlflowClient(tracking_uri=settings.tracking_uri)
    try:
        if alias:
            registered = client.get_model_version_by_alias(name, alias)
        else:
            registered = client.get_model_version(name, number)
        folder = mlflow.artifacts.download_artifacts(
            artifact_uri=f"models:/{name}/{registered.version}",
            dst_path=str(into),
            tracking_uri=settings.tracking_uri,
        )
    except MlflowException as error:
        raise RegistryError(
            f"{uri} is not in the MLflow store {settings.tracking_uri} ({error.message}): check "
            "the name and alias or version, or set MLFLOW_TRACKING_URI to the store that has it"
        ) from None
    path = Path(folder) / "model.skops"
    if not path.is_file():
        raise RegistryError(f"{uri} has no model.skops: it was not logged by this project's train")
    return RegisteredModel(path, name, str(registered.version), str(registered.run_id))


def parse_model_uri(uri: str) -> tuple[str, str, str]:
    """(name, alias, version) of a models:/ URI; one of alias and version is empty."""
    rest = uri.removeprefix("models:/")
    name, at, alias = rest.partition("@")
    if not at:
        name, _, alias_or_version = rest.rpartition("/")
        if name and alias_or_version.isdigit():
            return name, "", alias_or_version
    if rest == uri or not name or not alias:
        raise RegistryError(
            f"{uri!r} is not a registered model's URI: give models:/<name>@<alias> "
            "(champion, challenger) or models:/<name>/<version>"
        )
    return name, alias, ""
