"""The MLflow registry, on a throwaway SQLite store.

Stages log to the store where they run, and a release's `champion` is the version its own
run trained.
"""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.core.params import Tracking
from {{ cookiecutter.package_name }}.core.records import RunInfo
from {{ cookiecutter.package_name }}.core.settings import TrackingSettings
from {{ cookiecutter.package_name }}.tracking.registry import (
    CHAMPION,
    RegistryError,
    log_evaluation,
    set_champion,
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Tracking:
    uri = f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"
    return Tracking(tracking_uri=uri, experiment="tests", registered_model="tests-model")


@pytest.fixture(autouse=True)
def no_tracking_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


def training_run(store: Tracking, model_version: str | None = None) -> RunInfo:
    """A training run in `store`, with a registered version of it when asked."""
    import mlflow

    mlflow.set_tracking_uri(store.tracking_uri)
    mlflow.set_experiment(store.experiment)
    with mlflow.start_run() as run:
        mlflow.log_param("seed", 1)
    client = mlflow.MlflowClient()
    if model_version:
        if not client.search_registered_models(f"name = '{store.registered_model}'"):
            client.create_registered_model(store.registered_model)
        created = client.create_model_version(
            store.registered_model, f"runs:/{run.info.run_id}/model", run_id=run.info.run_id
        )
        model_version = str(created.version)
    return RunInfo(
        run_id=run.info.run_id,
        tracking_uri=store.tracking_uri,
        registered_model=store.registered_model,
        version=model_version or "1",
        lineage={},
        params={},
    )


def test_evaluation_of_a_model_trained_elsewhere_gets_its_own_run(store: Tracking) -> None:
    import mlflow

    elsewhere = RunInfo(
        run_id="0" * 32,
        tracking_uri="sqlite:///other.db",
        registered_model="tests-model",
        version="9",
        lineage={},
        params={},
    )

    logged = log_evaluation(elsewhere, {"score": 0.8}, {"golden_sha256": "g" * 64}, store)

    evaluation = mlflow.MlflowClient(store.tracking_uri).get_run(logged)
    assert logged != elsewhere.run_id
    assert evaluation.data.tags["training_run_id"] == elsewhere.run_id
    assert evaluation.data.metrics["golden_score"] == 0.8


def test_evaluation_goes_to_the_training_run_and_tags_its_version_once(store: Tracking) -> None:
    import mlflow

    trained = training_run(store, model_version="new")

    first = log_evaluation(trained, {"score": 0.8}, {"golden_sha256": "a" * 64}, store)
    other_golden = log_evaluation(trained, {"score": 0.7}, {"golden_sha256": "b" * 64}, store)

    client = mlflow.MlflowClient(store.tracking_uri)
    version = client.get_model_version(trained.registered_model, trained.version)
    assert first == trained.run_id
    assert other_golden != trained.run_id  # another golden set: a run of its own
    assert version.tags["golden_sha256"] == "a" * 64
    assert client.get_run(trained.run_id).data.metrics["golden_score"] == 0.8


def test_champion_is_set_on_the_version_its_run_trained(store: Tracking) -> None:
    import mlflow

    trained = training_run(store, model_version="new")

    set_champion(
        trained.registered_model, trained.version, trained.run_id, {"release": "v1"}, store
    )

    client = mlflow.MlflowClient(store.tracking_uri)
    champion = client.get_model_version_by_alias(trained.registered_model, CHAMPION)
    assert str(champion.version) == trained.version
    assert champion.tags["release"] == "v1"


def test_champion_refuses_a_version_another_run_trained(store: Tracking) -> None:
    trained = training_run(store, model_version="new")

    with pytest.raises(RegistryError, match="was trained by run"):
        set_champion(trained.registered_model, trained.version, "f" * 32, {}, store)
    with pytest.raises(RegistryError, match="is not in the MLflow store"):
        set_champion(trained.registered_model, "999", trained.run_id, {}, store)


def test_mlflow_tracking_uri_points_the_stages_at_a_server(
    store: Tracking, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert TrackingSettings.from_env().applied_to(store) == store  # unset: params.yaml

    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow.example.com:5000")
    tracking = TrackingSettings.from_env().applied_to(store)

    assert tracking.tracking_uri == "http://mlflow.example.com:5000"
    assert tracking.registered_model == store.registered_model
