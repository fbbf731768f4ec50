"""The scoring API: every endpoint, and a clear 4xx for every kind of bad request.

Bad requests come from the contract: each feature's invalid values, a null where the
contract allows none, each feature left out; and from hostile clients: non-finite numbers,
lone surrogates, deep nesting, duplicate keys, oversized bodies, other content types.
Socket-level behaviour (timeouts, aborted uploads, workers) is in test_api_live.py.
"""

from __future__ import annotations

import fcntl
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from {{ cookiecutter.package_name }}.core.assignment import SHADOW_HEADER, VARIANT_HEADER
from {{ cookiecutter.package_name }}.core.contract import (
    FEATURES,
    ID,
    TARGET,
    feature_names,
)
from {{ cookiecutter.package_name }}.core.features import (
    CategoricalFeature,
    Feature,
    NumericFeature,
)
from {{ cookiecutter.package_name }}.core.model import features_of, load
from {{ cookiecutter.package_name }}.serve.app import create_app
from {{ cookiecutter.package_name }}.serve.settings import (
    ServeSettings,
    SettingsError,
    available_cores,
)

from ..contract_data import records
from ..live_service import metric_value

if TYPE_CHECKING:
    from {{ cookiecutter.package_name }}.core.features import Values  # a type alias only

MAX_ROWS = 50
MAX_BODY = 64_000
DEEP = 10_000
# The first whole-number and the first decimal feature, and the first categorical one.
NUMBERS = list(
    {f.dtype: f.name for f in reversed(FEATURES) if isinstance(f, NumericFeature)}.values()
)
TEXTS = [feature.name for feature in FEATURES if isinstance(feature, CategoricalFeature)][:1]
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
def client(serving_dir: Path) -> Iterator[TestClient]:
    settings = ServeSettings(
        model_dir=serving_dir, max_batch_rows=MAX_ROWS, max_body_bytes=MAX_BODY
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def record(unseen_table: pd.DataFrame) -> dict[str, Any]:
    """A valid request record, as JSON would carry it."""
    return records(unseen_table.head(1))[0]


def detail_fields(response: Response) -> set[str]:
    return {str(issue["loc"][-1]) for issue in response.json()["detail"]}


def post_raw(
    client: TestClient, body: str | bytes, content_type: str = "application/json"
) -> Response:
    return client.post("/predict", content=body, headers={"content-type": content_type})


def with_value(record: dict[str, Any], field: str, value: str) -> str:
    """`record` as JSON text with `field` set to `value` verbatim (json.dumps cannot say NaN)."""
    return json.dumps({**record, field: "\0"}).replace('"\\u0000"', value)


def metric(client: TestClient, name: str, **labels: str) -> float:
    return metric_value(client.get("/metrics").text, name, **labels)


def test_health_answers_without_a_model(tmp_path: Path) -> None:
    with TestClient(
        create_app(ServeSettings(model_dir=tmp_path, max_batch_rows=MAX_ROWS))
    ) as no_model:
        assert no_model.get("/health").json() == {"status": "ok"}
        ready = no_model.get("/ready")
        assert ready.status_code == 503
        assert no_model.post("/predict", json={}).status_code == 503

    # the reason is in the log, not in the answer: no internal path leaves the service
    assert str(tmp_path) not in ready.text
    assert "metadata.json" not in ready.text


def test_ready_reports_version_and_runtime(client: TestClient) -> None:
    assert client.get("/ready").json() == {
        "status": "ready",
        "model_version": "test",
        "runtime": "onnx",
    }


def test_metadata_describes_model_and_contract(client: TestClient) -> None:
    metadata = client.get("/metadata").json()

    assert metadata["runtime"] == "onnx"
    ids = [ID.name] if ID else []  # optional: rows are posted as they sit in the table
    assert list(metadata["input_schema"]["properties"]) == [*ids, *feature_names()]


def test_one_record_gets_one_prediction(client: TestClient, record: dict[str, Any]) -> None:
    response = client.post("/predict", json=record)

    assert response.status_code == 200
    body = response.json()
    assert body["model_version"] == "test"
    assert len(body["predictions"]) == 1
    ids = {ID.name} if ID else set()
    assert set(body["predictions"][0]) == set(TARGET.task.prediction_model.model_fields) | ids


def test_batch_predictions_equal_the_pipeline_predictions(
    client: TestClient, unseen_table: pd.DataFrame, trained_model_path: Path
) -> None:
    rows = unseen_table.head(MAX_ROWS)

    response = client.post("/predict", json=records(rows))

    served = [p["prediction"] for p in response.json()["predictions"]]
    predicted = TARGET.task.predict(load(trained_model_path), features_of(rows))
    expected = [answer["prediction"] for answer in predicted.records()]
    if predicted.classes:  # labels in the table's own form, equal
        assert served == expected
    else:
        np.testing.assert_allclose(served, expected, rtol=1e-5, atol=1e-2)


@pytest.mark.parametrize("feature", [f for f in FEATURES if f.nullable], ids=lambda f: f.name)
def test_null_is_accepted_where_the_contract_allows_missing_values(
    client: TestClient, record: dict[str, Any], feature: Feature
) -> None:
    response = client.post("/predict", json={**record, feature.name: None})

    assert response.status_code == 200, response.json()


@pytest.mark.skipif(ID is None, reason="the contract names no id column")
def test_rows_as_they_sit_in_the_table_get_their_ids_back_in_order(
    client: TestClient, unseen_table: pd.DataFrame
) -> None:
    assert ID is not None  # skipped without one
    rows = unseen_table.head(MAX_ROWS)
    ids = rows[ID.name]
    sent = [{ID.name: i, **record} for i, record in zip(ids, records(rows), strict=True)]
    without = records(rows.head(1))[0]

    answer = client.post("/predict", json=sent).json()["predictions"]
    alone = client.post("/predict", json=without).json()["predictions"][0]

    assert [prediction[ID.name] for prediction in answer] == list(ids)
    assert alone[ID.name] is None  # the id is optional


def test_too_many_records_get_413(client: TestClient, record: dict[str, Any]) -> None:
    response = client.post("/predict", json=[record] * (MAX_ROWS + 1))

    assert response.status_code == 413
    assert "SERVE_MAX_BATCH_ROWS" in response.json()["detail"]


def test_body_over_the_size_limit_gets_413_before_it_is_parsed(client: TestClient) -> None:
    too_big = b"{" * (MAX_BODY + 1)  # not JSON either: a parser would have said 422

    declared = post_raw(client, too_big)
    streamed = client.post(  # no content-length: counted while it streams in
        "/predict",
        content=iter([too_big[:MAX_BODY], b"{"]),
        headers={"content-type": "application/json"},
    )

    for response in (declared, streamed):
        assert response.status_code == 413
        assert "SERVE_MAX_BODY_BYTES" in response.json()["detail"]
        assert response.headers["connection"] == "close"  # the rest of the upload is not read


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""],
)
def test_body_that_is_not_declared_json_gets_415(
    client: TestClient, record: dict[str, Any], content_type: str
) -> None:
    # a browser posts these cross-origin without a preflight; they are never scored
    response = post_raw(client, json.dumps(record), content_type)

    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]


def test_json_with_a_charset_is_accepted(client: TestClient, record: dict[str, Any]) -> None:
    response = post_raw(client, json.dumps(record), "application/json; charset=utf-8")

    assert response.status_code == 200


def test_json_declared_in_another_charset_gets_415(
    client: TestClient, record: dict[str, Any]
) -> None:
    response = post_raw(client, json.dumps(record), "application/json; charset=utf-16")

    assert response.status_code == 415
    assert "UTF-8" in response.json()["detail"]


@pytest.mark.parametrize(
    ("encoding", "says"),
    [
        ("utf-8-sig", "byte-order mark"),
        ("utf-16", "not UTF-8"),
        ("utf-16-le", "not UTF-8"),
        ("utf-32", "not UTF-8"),
    ],
)
def test_body_not_in_plain_utf8_gets_422_saying_so(
    client: TestClient, record: dict[str, Any], encoding: str, says: str
) -> None:
    # json.loads alone would accept all of these, guessing the encoding from the first bytes
    response = post_raw(client, json.dumps(record).encode(encoding))

    assert response.status_code == 422
    assert says in response.json()["detail"][0]["msg"]


def test_many_bad_rows_get_the_first_problems_and_a_count_of_the_rest(
    client: TestClient, record: dict[str, Any]
) -> None:
    row = {**record, **{f"unknown {number}": "x" * 70 for number in range(140)}}

    response = client.post("/predict", json=[row] * 4)  # 46 kB, under the test's body limit

    assert response.status_code == 422
    answer = response.json()
    assert len(answer["detail"]) == 10
    assert answer["more_issues"] == 4 * 140 - 10
    assert len(response.content) < 4_000
    assert answer["detail"][0]["loc"] == ["body", 0, "unknown 0"]


def test_few_bad_fields_are_all_listed(client: TestClient, record: dict[str, Any]) -> None:
    response = client.post("/predict", json={**record, FIRST.name: BAD_VALUE})

    assert response.status_code == 422
    assert "more_issues" not in response.json()


@pytest.mark.parametrize("path", ["/health", "/predict", "/nowhere"])
def test_every_answer_forbids_content_sniffing(client: TestClient, path: str) -> None:
    response = client.post(path, content=b"<html>", headers={"content-type": "application/json"})

    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999"])
@pytest.mark.parametrize("field", NUMBERS)
def test_non_finite_number_gets_422_naming_the_field(
    client: TestClient, record: dict[str, Any], field: str, value: str
) -> None:
    response = post_raw(client, with_value(record, field, value))

    assert response.status_code == 422
    assert detail_fields(response) == {field}


@pytest.mark.parametrize("field", sorted({*TEXTS, FIRST.name}))
def test_lone_surrogate_value_gets_422_naming_the_field(
    client: TestClient, record: dict[str, Any], field: str
) -> None:
    response = post_raw(client, with_value(record, field, '"\\ud800"'))

    assert response.status_code == 422
    assert detail_fields(response) == {field}


def test_lone_surrogate_key_gets_422_showing_it_escaped(
    client: TestClient, record: dict[str, Any]
) -> None:
    response = post_raw(client, '{"\\ud800": 1, ' + json.dumps(record)[1:])

    assert response.status_code == 422
    assert "\\ud800" in {str(issue.get("input")) for issue in response.json()["detail"]}


@pytest.mark.parametrize(
    "body",
    [
        "[" * DEEP + "]" * DEEP,
        '{"a":' * DEEP + "0" + "}" * DEEP,
        "WITH_DEEP_FIELD",
    ],
    ids=["array", "object", "in-a-field"],
)
def test_nesting_10000_deep_gets_422(client: TestClient, record: dict[str, Any], body: str) -> None:
    if body == "WITH_DEEP_FIELD":
        body = with_value(record, FIRST.name, "[" * DEEP + "]" * DEEP)

    response = post_raw(client, body)

    assert response.status_code == 422
    assert "nested too deeply" in response.json()["detail"][0]["msg"]


def test_duplicate_key_gets_422_naming_it(client: TestClient, record: dict[str, Any]) -> None:
    again = f", {json.dumps(FIRST.name)}: {json.dumps(record[FIRST.name])}"
    body = json.dumps(record)[:-1] + again + "}"

    response = post_raw(client, body)

    assert response.status_code == 422
    assert f"{FIRST.name!r} appears twice" in response.json()["detail"][0]["msg"]


def test_error_echoes_a_long_input_only_in_short(
    client: TestClient, record: dict[str, Any]
) -> None:
    response = client.post("/predict", json={**record, FIRST.name: "x" * 50_000})

    assert response.status_code == 422
    assert len(response.content) < 1_000
    (issue,) = response.json()["detail"]
    assert issue["loc"][-1] == FIRST.name
    assert issue["input"].startswith("xxxx")
    assert issue["input"].endswith("…")


class FailingModel:
    """A model whose runtime breaks on every call, as a corrupt graph or a full disk might."""

    def predict(self, columns: Mapping[str, Values]) -> NoReturn:
        raise RuntimeError("the runtime broke")


def test_unexpected_failure_is_a_500_counted_and_logged_as_one_json_line(
    serving_dir: Path, record: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(ServeSettings(model_dir=serving_dir, max_batch_rows=MAX_ROWS))
    with TestClient(app) as broken:
        before = metric(broken, "http_requests_total", method="POST", path="/predict", status="500")
        app.state.service.model = FailingModel()
        capsys.readouterr()

        response = broken.post("/predict", json=record)

        after = metric(broken, "http_requests_total", method="POST", path="/predict", status="500")
        log = capsys.readouterr().err.splitlines()

    assert response.status_code == 500
    assert response.json() == {"detail": "internal error; the service log has the details"}
    assert after == before + 1
    lines = [json.loads(line) for line in log]  # every line is one JSON object
    failed = [line for line in lines if line.get("status") == 500]
    assert len(failed) == 1
    assert failed[0]["level"] == "ERROR"
    assert failed[0]["error"] == "RuntimeError: the runtime broke"


@pytest.mark.parametrize(("change", "field"), BAD_FIELDS)
def test_bad_field_gets_422_naming_it(
    client: TestClient, record: dict[str, Any], change: dict[str, object], field: str
) -> None:
    response = client.post("/predict", json={**record, **change})

    assert response.status_code == 422
    assert field in detail_fields(response)


@pytest.mark.parametrize("feature", FEATURES, ids=lambda f: f.name)
def test_missing_field_gets_422_naming_it(
    client: TestClient, record: dict[str, Any], feature: Feature
) -> None:
    del record[feature.name]

    response = client.post("/predict", json=record)

    assert response.status_code == 422
    assert feature.name in detail_fields(response)


def test_bad_record_in_a_batch_is_named_by_position(
    client: TestClient, record: dict[str, Any]
) -> None:
    response = client.post("/predict", json=[record, {**record, FIRST.name: BAD_VALUE}])

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", 1, FIRST.name]


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'"text"', b"42", b""])
def test_malformed_body_gets_422(client: TestClient, body: bytes) -> None:
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})

    assert response.status_code == 422


def test_metrics_count_requests_by_status(client: TestClient, record: dict[str, Any]) -> None:
    client.post("/predict", json=record)
    client.post("/predict", json={**record, FIRST.name: BAD_VALUE})

    metrics = client.get("/metrics").text

    assert 'http_requests_total{method="POST",path="/predict",status="200"}' in metrics
    assert 'http_requests_total{method="POST",path="/predict",status="422"}' in metrics
    assert "prediction_" in metrics


def test_openapi_documents_the_batch_limit_of_this_app(client: TestClient) -> None:
    body = client.get("/openapi.json").json()["paths"]["/predict"]["post"]["requestBody"]

    schema = body["content"]["application/json"]["schema"]
    assert MAX_ROWS in {option.get("maxItems") for option in schema["anyOf"]}


def test_predictions_are_not_logged_by_default(
    serving_dir: Path, record: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with TestClient(
        create_app(ServeSettings(model_dir=serving_dir, max_batch_rows=MAX_ROWS))
    ) as quiet:
        assert quiet.post("/predict", json=record).status_code == 200

    assert list(tmp_path.iterdir()) == []


def test_logged_predictions_carry_inputs_outputs_and_version(
    serving_dir: Path, unseen_table: pd.DataFrame, tmp_path: Path
) -> None:
    log = tmp_path / "logs" / "predictions.jsonl"
    settings = ServeSettings(
        model_dir=serving_dir,
        max_batch_rows=MAX_ROWS,
        prediction_log=log,
        prediction_log_sample=1.0,
    )
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


def test_logged_rows_carry_the_routers_variant_the_id_and_the_time_taken(
    serving_dir: Path, unseen_table: pd.DataFrame, tmp_path: Path
) -> None:
    # Given a router that names the variant of each request (README: "Impact of a new model"),
    log = tmp_path / "predictions.jsonl"
    settings = ServeSettings(
        model_dir=serving_dir,
        max_batch_rows=MAX_ROWS,
        prediction_log=log,
        prediction_log_sample=1.0,
    )
    sent = records(unseen_table.head(3))
    if ID:
        sent = [{ID.name: f"C-{n:08d}", **row} for n, row in enumerate(sent, start=1)]
    with TestClient(create_app(settings)) as logging_client:
        logging_client.post("/predict", json=sent[:2], headers={VARIANT_HEADER: "challenger"})
        # a header that is no plain name is not a variant: the model version stands in
        logging_client.post("/predict", json=sent[2:], headers={VARIANT_HEADER: "a b;<x>"})
        # the router's mirrored copy of a request says so
        mirrored = {VARIANT_HEADER: "challenger", SHADOW_HEADER: "1"}
        logging_client.post("/predict", json=sent[2:], headers=mirrored)

    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["variant"] for line in lines] == ["challenger"] * 2 + ["test", "challenger"]
    assert [line.get("shadow", False) for line in lines] == [False] * 3 + [True]
    assert all(line["latency_ms"] >= 0 for line in lines)
    if ID:
        assert [line[ID.name] for line in lines] == [row[ID.name] for row in [*sent, sent[2]]]


def test_a_request_the_model_fails_is_logged_as_an_error_of_its_variant(
    serving_dir: Path, record: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "predictions.jsonl"
    settings = ServeSettings(
        model_dir=serving_dir,
        max_batch_rows=MAX_ROWS,
        prediction_log=log,
        prediction_log_sample=1.0,
    )
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as failing_client:
        assert failing_client.post("/predict", json=record).status_code == 200

        def broken(columns: Mapping[str, Values]) -> NoReturn:
            raise RuntimeError("the runtime crashed")

        monkeypatch.setattr(app.state.service.model, "predict", broken)
        answer = failing_client.post("/predict", json=record, headers={VARIANT_HEADER: "b"})
        assert answer.status_code == 500
        # a client's mistake (422) is not the model's: not logged
        assert failing_client.post("/predict", json={}).status_code == 422

    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(line.get("error"), line["variant"]) for line in lines] == [
        (None, "test"),
        ("RuntimeError", "b"),
    ]
    assert not set(feature_names()) & set(lines[1])


def test_sampling_logs_about_the_configured_share(
    serving_dir: Path, record: dict[str, Any], tmp_path: Path
) -> None:
    log = tmp_path / "predictions.jsonl"
    settings = ServeSettings(
        model_dir=serving_dir,
        max_batch_rows=MAX_ROWS,
        prediction_log=log,
        prediction_log_sample=0.2,
    )
    with TestClient(create_app(settings)) as sampling_client:
        for _ in range(20):
            assert sampling_client.post("/predict", json=[record] * MAX_ROWS).status_code == 200

    logged = len(log.read_text().splitlines())
    assert 0.15 * 20 * MAX_ROWS < logged < 0.25 * 20 * MAX_ROWS


def test_prediction_log_rotates_and_keeps_a_bounded_number_of_files(
    serving_dir: Path, record: dict[str, Any], tmp_path: Path
) -> None:
    sent = 200  # several rotations whatever the width of a row (4,000 bytes is 10+ rows)
    settings = ServeSettings(
        model_dir=serving_dir,
        max_batch_rows=MAX_ROWS,
        prediction_log=tmp_path / "predictions.jsonl",
        prediction_log_sample=1.0,
        prediction_log_max_bytes=4_000,
        prediction_log_backups=2,
    )
    with TestClient(create_app(settings)) as logging_client:
        for _ in range(sent):
            assert logging_client.post("/predict", json=record).status_code == 200

    files = sorted(tmp_path.glob("predictions*.jsonl"))
    assert [path.name for path in files] == [
        "predictions.1.jsonl",
        "predictions.2.jsonl",
        "predictions.jsonl",
    ]
    assert all(path.stat().st_size <= 4_000 for path in files)
    times = {
        path.name: [json.loads(line)["logged_at"] for line in path.read_text().splitlines()]
        for path in files
    }
    # the live file has the latest rows, .1 the ones before, .2 older still; the oldest are gone
    assert max(times["predictions.2.jsonl"]) <= min(times["predictions.1.jsonl"])
    assert max(times["predictions.1.jsonl"]) <= min(times["predictions.jsonl"])
    assert sum(len(kept) for kept in times.values()) < sent


def test_a_stalled_prediction_log_drops_rows_instead_of_stalling_requests(
    serving_dir: Path, record: dict[str, Any], tmp_path: Path
) -> None:
    # Given the log's file lock held elsewhere (a disk that does not answer),
    log = tmp_path / "predictions.jsonl"
    settings = ServeSettings(
        model_dir=serving_dir,
        max_batch_rows=MAX_ROWS,
        prediction_log=log,
        prediction_log_sample=1.0,
    )
    with (
        TestClient(create_app(settings)) as logging_client,
        (tmp_path / "predictions.jsonl.lock").open("a") as lock,
    ):
        fcntl.flock(lock, fcntl.LOCK_EX)
        dropped = metric(logging_client, "prediction_log_dropped_rows_total")
        # when many more requests come than the queue holds, every one is still answered
        for _ in range(200):
            assert logging_client.post("/predict", json=record).status_code == 200
        # and the rows that did not fit are counted as dropped, not waited for
        assert metric(logging_client, "prediction_log_dropped_rows_total") > dropped
        fcntl.flock(lock, fcntl.LOCK_UN)

    # then, with the disk back, what was queued is written
    assert 0 < len(log.read_text().splitlines()) < 200


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SERVE_PREDICTION_LOG_SAMPLE", "1.5"),
        ("SERVE_PREDICTION_LOG_SAMPLE", "often"),
        ("SERVE_PREDICTION_LOG_MAX_BYTES", "0"),
        ("SERVE_PREDICTION_LOG_BACKUPS", "none"),
        ("SERVE_MAX_BODY_BYTES", "1MB"),
        ("SERVE_WORKERS", "0"),
        ("SERVE_REQUEST_TIMEOUT", "0"),
        ("SERVE_REQUEST_TIMEOUT", "inf"),
        ("SERVE_KEEP_ALIVE_TIMEOUT", "-1"),
        ("SERVE_MAX_HEADER_BYTES", "32k"),
    ],
)
def test_bad_setting_is_named(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(SettingsError, match=re.escape(f"{variable}={value!r}: use ")):
        ServeSettings.from_env()


def test_settings_default_to_the_documented_values(monkeypatch: pytest.MonkeyPatch) -> None:
    defaulted = ("SERVE_MAX_BODY_BYTES", "SERVE_WORKERS", "SERVE_PREDICTION_LOG_SAMPLE")
    for variable in (*defaulted, "SERVE_MAX_HEADER_BYTES"):
        monkeypatch.delenv(variable, raising=False)

    settings = ServeSettings.from_env()

    assert settings.max_body_bytes == 1_048_576
    assert settings.workers == available_cores()
    assert settings.prediction_log_sample == 0.1
    assert settings.max_header_bytes == 32_768


@pytest.mark.parametrize(
    ("cpu_max", "expected"),
    [("150000 100000\n", 2), ("50000 100000\n", 1), ("max 100000\n", None), ("garbled", None)],
)
def test_workers_follow_the_cpu_quota_a_container_is_given(
    tmp_path: Path, cpu_max: str, expected: int | None
) -> None:
    quota = tmp_path / "cpu.max"
    quota.write_text(cpu_max)
    unlimited = available_cores(tmp_path / "absent")

    assert available_cores(quota) == min(expected or unlimited, unlimited)
