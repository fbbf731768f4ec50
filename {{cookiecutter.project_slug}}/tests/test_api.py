"""The scoring API: every endpoint, and a clear 4xx for every kind of bad request.

Bad requests come from the contract: each feature's invalid values, a null where the
contract allows none, each feature left out.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.contract import FEATURES, TARGET, feature_names
from {{ cookiecutter.package_name }}.model import features_of, load
from {{ cookiecutter.package_name }}.serve.app import create_app
from {{ cookiecutter.package_name }}.serve.settings import ServeSettings, SettingsError

from .contract_data import records

MAX_ROWS = 50
FIRST = FEATURES[0]
BAD_VALUE = next(iter(FIRST.invalid_values().values()))
BAD_FIELDS = [
    *(
        pytest.param({feature.name: value}, feature.name, id=f"{feature.name}: {case}")
        for feature in FEATURES
        for case, value in feature.invalid_values().items()
    ),
    *(
        pytest.param({feature.name: None}, feature.name, id=f"{feature.name}: null")
        for feature in FEATURES
        if not feature.nullable
    ),
    pytest.param({"an unknown field": "blue"}, "an unknown field", id="unknown field"),
]


@pytest.fixture(scope="module")
def client(serving_dir):
    with TestClient(create_app(ServeSettings(serving_dir, MAX_ROWS))) as test_client:
        yield test_client


@pytest.fixture
def record(unseen_table) -> dict:
    """A valid request record, as JSON would carry it."""
    return records(unseen_table.head(1))[0]


def detail_fields(response) -> set[str]:
    return {str(issue["loc"][-1]) for issue in response.json()["detail"]}


def test_health_answers_without_a_model(tmp_path):
    with TestClient(create_app(ServeSettings(tmp_path, MAX_ROWS))) as no_model:
        assert no_model.get("/health").json() == {"status": "ok"}
        ready = no_model.get("/ready")
        assert ready.status_code == 503
        assert "make repro" in ready.json()["detail"]
        assert no_model.post("/predict", json={}).status_code == 503


def test_ready_reports_version_and_runtime(client):
    assert client.get("/ready").json() == {
        "status": "ready",
        "model_version": "test",
        "runtime": "onnx",
    }


def test_metadata_describes_model_and_contract(client):
    metadata = client.get("/metadata").json()

    assert metadata["runtime"] == "onnx"
    assert list(metadata["input_schema"]["properties"]) == feature_names()


def test_one_record_gets_one_prediction(client, record):
    response = client.post("/predict", json=record)

    assert response.status_code == 200
    body = response.json()
    assert body["model_version"] == "test"
    assert len(body["predictions"]) == 1
    assert set(body["predictions"][0]) == set(TARGET.task.prediction_model.model_fields)


def test_batch_predictions_equal_the_pipeline_predictions(client, unseen_table, trained_model_path):
    rows = unseen_table.head(MAX_ROWS)

    response = client.post("/predict", json=records(rows))

    served = [p["prediction"] for p in response.json()["predictions"]]
    expected = load(trained_model_path).predict(features_of(rows))
    np.testing.assert_allclose(served, expected, rtol=1e-5, atol=1e-2)  # labels: equal


@pytest.mark.parametrize("feature", [f for f in FEATURES if f.nullable], ids=lambda f: f.name)
def test_null_is_accepted_where_the_contract_allows_missing_values(client, record, feature):
    response = client.post("/predict", json={**record, feature.name: None})

    assert response.status_code == 200, response.json()


def test_too_many_records_get_413(client, record):
    response = client.post("/predict", json=[record] * (MAX_ROWS + 1))

    assert response.status_code == 413
    assert "SERVE_MAX_BATCH_ROWS" in response.json()["detail"]


@pytest.mark.parametrize(("change", "field"), BAD_FIELDS)
def test_bad_field_gets_422_naming_it(client, record, change, field):
    response = client.post("/predict", json={**record, **change})

    assert response.status_code == 422
    assert field in detail_fields(response)


@pytest.mark.parametrize("feature", FEATURES, ids=lambda f: f.name)
def test_missing_field_gets_422_naming_it(client, record, feature):
    del record[feature.name]

    response = client.post("/predict", json=record)

    assert response.status_code == 422
    assert feature.name in detail_fields(response)


def test_bad_record_in_a_batch_is_named_by_position(client, record):
    response = client.post("/predict", json=[record, {**record, FIRST.name: BAD_VALUE}])

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", 1, FIRST.name]


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'"text"', b"42", b""])
def test_malformed_body_gets_422(client, body):
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})

    assert response.status_code == 422


def test_metrics_count_requests_by_status(client, record):
    client.post("/predict", json=record)
    client.post("/predict", json={**record, FIRST.name: BAD_VALUE})

    metrics = client.get("/metrics").text

    assert 'http_requests_total{method="POST",path="/predict",status="200"}' in metrics
    assert 'http_requests_total{method="POST",path="/predict",status="422"}' in metrics
    assert "prediction_" in metrics


def test_openapi_documents_the_batch_limit_of_this_app(client):
    body = client.get("/openapi.json").json()["paths"]["/predict"]["post"]["requestBody"]

    schema = body["content"]["application/json"]["schema"]
    assert MAX_ROWS in {option.get("maxItems") for option in schema["anyOf"]}


def test_predictions_are_not_logged_by_default(serving_dir, record, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with TestClient(create_app(ServeSettings(serving_dir, MAX_ROWS))) as quiet:
        assert quiet.post("/predict", json=record).status_code == 200

    assert list(tmp_path.iterdir()) == []


def test_logged_predictions_carry_inputs_outputs_and_version(serving_dir, unseen_table, tmp_path):
    log = tmp_path / "logs" / "predictions.jsonl"
    settings = ServeSettings(serving_dir, MAX_ROWS, prediction_log=log)
    sent = records(unseen_table.head(2))
    with TestClient(create_app(settings)) as logging_client:
        answer = logging_client.post("/predict", json=sent).json()
        logging_client.post("/predict", json={**sent[0], FIRST.name: BAD_VALUE})  # 422: not scored

    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [{name: line[name] for name in feature_names()} for line in lines] == sent
    assert [line["prediction"] for line in lines] == [
        p["prediction"] for p in answer["predictions"]
    ]
    assert {line["model_version"] for line in lines} == {"test"}


def test_sampling_logs_about_the_configured_share(serving_dir, record, tmp_path):
    log = tmp_path / "predictions.jsonl"
    settings = ServeSettings(serving_dir, MAX_ROWS, prediction_log=log, prediction_log_sample=0.2)
    with TestClient(create_app(settings)) as sampling_client:
        for _ in range(20):
            assert sampling_client.post("/predict", json=[record] * MAX_ROWS).status_code == 200

    logged = len(log.read_text().splitlines())
    assert 0.15 * 20 * MAX_ROWS < logged < 0.25 * 20 * MAX_ROWS


@pytest.mark.parametrize(
    ("variable", "value"),
    [("SERVE_PREDICTION_LOG_SAMPLE", "1.5"), ("SERVE_PREDICTION_LOG_SAMPLE", "often")],
)
def test_bad_logging_setting_is_named(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)

    with pytest.raises(SettingsError, match=variable):
        ServeSettings.from_env()
