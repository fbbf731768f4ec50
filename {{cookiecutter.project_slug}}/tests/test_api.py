"""The scoring API: every endpoint, and a clear 4xx for every kind of bad request."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.contract import TARGET
from {{ cookiecutter.package_name }}.model import features_of, load
from {{ cookiecutter.package_name }}.serve.app import create_app
from {{ cookiecutter.package_name }}.serve.schemas import Record
from {{ cookiecutter.package_name }}.serve.settings import ServeSettings, SettingsError

MAX_ROWS = 50


@pytest.fixture(scope="module")
def client(serving_dir):
    with TestClient(create_app(ServeSettings(serving_dir, MAX_ROWS))) as test_client:
        yield test_client


@pytest.fixture
def record(unseen_customers) -> dict:
    """A valid request record, as JSON would carry it."""
    row = features_of(unseen_customers).iloc[0].to_dict()
    return {key: (value.item() if hasattr(value, "item") else value) for key, value in row.items()}


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
    assert set(metadata["input_schema"]["properties"]) == set(Record.model_fields)


def test_one_record_gets_one_prediction(client, record):
    response = client.post("/predict", json=record)

    assert response.status_code == 200
    body = response.json()
    assert body["model_version"] == "test"
    assert len(body["predictions"]) == 1
    assert set(body["predictions"][0]) == set(TARGET.task.prediction_model.model_fields)


def test_batch_predictions_equal_the_pipeline_predictions(
    client, unseen_customers, trained_model_path
):
    features = features_of(unseen_customers.head(MAX_ROWS))
    records = [
        {key: (value.item() if hasattr(value, "item") else value) for key, value in row.items()}
        for row in features.to_dict(orient="records")
    ]
    for row in records:
        if row["monthly_charges"] != row["monthly_charges"]:  # NaN travels as JSON null
            row["monthly_charges"] = None

    response = client.post("/predict", json=records)

    served = [p["prediction"] for p in response.json()["predictions"]]
    expected = load(trained_model_path).predict(features)
    np.testing.assert_allclose(served, expected, rtol=1e-5, atol=1e-2)  # labels: equal


def test_missing_optional_value_is_accepted_as_null(client, record):
    response = client.post("/predict", json={**record, "monthly_charges": None})

    assert response.status_code == 200


def test_too_many_records_get_413(client, record):
    response = client.post("/predict", json=[record] * (MAX_ROWS + 1))

    assert response.status_code == 413
    assert "SERVE_MAX_BATCH_ROWS" in response.json()["detail"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"age": 200}, "age"),
        ({"tenure_months": -1}, "tenure_months"),
        ({"contract": "weekly"}, "contract"),
        ({"support_calls": "three"}, "support_calls"),
        ({"support_calls": 2.5}, "support_calls"),
        ({"senior_citizen": "yes"}, "senior_citizen"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
        ({"age": None}, "age"),
    ],
)
def test_bad_field_gets_422_naming_it(client, record, change, field):
    response = client.post("/predict", json={**record, **change})

    assert response.status_code == 422
    assert field in detail_fields(response)


def test_missing_field_gets_422_naming_it(client, record):
    del record["payment_method"]

    response = client.post("/predict", json=record)

    assert response.status_code == 422
    assert "payment_method" in detail_fields(response)


def test_bad_record_in_a_batch_is_named_by_position(client, record):
    response = client.post("/predict", json=[record, {**record, "age": 7}])

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", 1, "age"]


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'"text"', b"42", b""])
def test_malformed_body_gets_422(client, body):
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})

    assert response.status_code == 422


def test_metrics_count_requests_by_status(client, record):
    client.post("/predict", json=record)
    client.post("/predict", json={**record, "age": 500})

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


def test_logged_predictions_carry_inputs_outputs_and_version(serving_dir, record, tmp_path):
    log = tmp_path / "logs" / "predictions.jsonl"
    settings = ServeSettings(serving_dir, MAX_ROWS, prediction_log=log)
    with TestClient(create_app(settings)) as logging_client:
        answer = logging_client.post("/predict", json=[record, {**record, "age": 70}]).json()
        logging_client.post("/predict", json={**record, "age": 500})  # 422: nothing scored

    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["age"] for line in lines] == [record["age"], 70]
    assert {key: lines[0][key] for key in record} == record
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
