"""One record batch scored: the service's predictions, and its verdict on every bad value.

Each row is compared with what the scoring service answers for the same record (FastAPI's
TestClient on the same exported model): the same probabilities or values, the same labels,
and a refused row wherever the service answers 422.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.batch.rows import (
    REASON,
    ROW,
    ScoreInputError,
    Scorer,
    quarantine_schema,
    score_record_batch,
    scored_schema,
)
from {{ cookiecutter.package_name }}.core.contract import FEATURES, ID, TARGET
from {{ cookiecutter.package_name }}.scoring.columns import (
    PREDICTION,
    classes,
    probability_column,
)
from {{ cookiecutter.package_name }}.scoring.runtime import load_serving
from {{ cookiecutter.package_name }}.serve.app import create_app
from {{ cookiecutter.package_name }}.serve.settings import ServeSettings

from ..contract_data import plain, records

SERVICE_ROWS = 500  # records per request to the service


@pytest.fixture(scope="module")
def scorer(serving_dir: Path) -> Scorer:
    model, metadata = load_serving(serving_dir)
    return Scorer(model, metadata.version, "run-1")


@pytest.fixture(scope="module")
def client(serving_dir: Path) -> Iterator[TestClient]:
    settings = ServeSettings(model_dir=serving_dir, max_batch_rows=SERVICE_ROWS)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def as_batch(frame: pd.DataFrame) -> pa.RecordBatch:
    """The rows as a file would hold them (the target column too: it is ignored)."""
    return pa.RecordBatch.from_pandas(frame, preserve_index=False)


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every value as text, missing ones null: as the CSV reader gives them."""
    return frame.astype(object).map(lambda value: None if pd.isna(value) else str(value))


def served(client: TestClient, frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The service's predictions for the rows, in order."""
    answers: list[dict[str, Any]] = []
    sent = records(frame)
    for start in range(0, len(sent), SERVICE_ROWS):
        response = client.post("/predict", json=sent[start : start + SERVICE_ROWS])
        assert response.status_code == 200, response.text
        answers += response.json()["predictions"]
    return answers


def service_scores(answers: list[dict[str, Any]]) -> np.ndarray:
    """(rows, outputs): per class probabilities, or the value."""
    if not classes():
        return np.array([[answer["prediction"]] for answer in answers], dtype=float)
    if len(classes()) == 2:
        positive = np.array([answer["probability"] for answer in answers], dtype=float)
        return np.column_stack([1 - positive, positive])
    names = [str(label) for label in classes()]
    return np.array([[answer["probabilities"][n] for n in names] for answer in answers])


def batch_scores(scored: pd.DataFrame) -> np.ndarray:
    if not classes():
        return scored[[PREDICTION]].to_numpy(dtype=float)
    return scored[[probability_column(c) for c in classes()]].to_numpy(dtype=float)


def test_scores_equal_the_services_on_the_golden_rows(
    scorer: Scorer, client: TestClient, unseen_table: pd.DataFrame
) -> None:
    good, bad = score_record_batch(as_batch(unseen_table), scorer, source="golden")
    assert bad.num_rows == 0
    assert good.schema == scored_schema()
    scored = good.to_pandas()
    answers = served(client, unseen_table)
    difference = np.abs(batch_scores(scored) - service_scores(answers))
    tolerance = 1e-5 if classes() else 1e-5 * max(1.0, float(np.abs(batch_scores(scored)).max()))
    assert difference.max() < tolerance
    if classes():
        assert [plain(v) for v in scored[PREDICTION]] == [a["prediction"] for a in answers]
    if ID:
        assert scored[ID.name].tolist() == unseen_table[ID.name].astype(str).tolist()
    assert set(scored["model_version"]) == {scorer.version}
    assert set(scored["run_id"]) == {"run-1"}


def test_nulls_are_scored_as_the_service_scores_them_or_refused_as_it_refuses(
    scorer: Scorer, client: TestClient, unseen_table: pd.DataFrame
) -> None:
    frame = unseen_table.head(len(FEATURES)).reset_index(drop=True).astype(object)
    for row, feature in enumerate(FEATURES):
        frame.loc[row, feature.name] = None
    good, bad = score_record_batch(as_batch(frame), scorer, source="nulls.csv")
    refused = bad.to_pandas()
    for row, feature in enumerate(FEATURES):
        answer = client.post("/predict", json=records(frame.iloc[[row]]))
        if feature.nullable:
            assert answer.status_code == 200
            assert row + 1 not in set(refused[ROW])
        else:
            assert answer.status_code == 422
            reason = refused.loc[refused[ROW] == row + 1, REASON].item()
            assert reason.startswith(f"{feature.name}: missing")
    kept = [row for row, feature in enumerate(FEATURES) if feature.nullable]
    assert good.num_rows == len(kept)
    if kept:
        expected = service_scores(served(client, frame.iloc[kept]))
        assert np.abs(batch_scores(good.to_pandas()) - expected).max() < 1e-5 * (
            1 if classes() else max(1.0, float(np.abs(expected).max()))
        )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param(feature.name, value, id=f"{feature.name}: {case}")
        for feature in FEATURES
        for case, value in feature.invalid_values().items()
    ],
)
def test_each_value_the_service_refuses_is_quarantined_naming_its_column(
    scorer: Scorer, client: TestClient, unseen_table: pd.DataFrame, name: str, value: Any
) -> None:
    frame = unseen_table.head(3).reset_index(drop=True).astype(object)
    frame.loc[1, name] = value
    assert client.post("/predict", json=records(frame.iloc[[1]])).status_code == 422
    text = as_text(frame)  # as a CSV gives it: every value text
    good, bad = score_record_batch(as_batch(text), scorer, source="bad.csv", first_row=10)
    assert good.num_rows == 2
    refused = bad.to_pandas()
    assert refused[ROW].tolist() == [12]  # the 2nd row of a batch starting at row 11
    assert refused[REASON].item().startswith(f"{name}: ")
    assert refused[name].item() == str(value)
    assert bad.schema == quarantine_schema()


def test_text_columns_are_typed_as_the_contract_says(
    scorer: Scorer, unseen_table: pd.DataFrame
) -> None:
    typed, _ = score_record_batch(as_batch(unseen_table.head(50)), scorer)
    from_text, bad = score_record_batch(as_batch(as_text(unseen_table.head(50))), scorer)
    assert bad.num_rows == 0
    assert from_text.equals(typed)


def test_a_missing_column_stops_the_batch_naming_it(
    scorer: Scorer, unseen_table: pd.DataFrame
) -> None:
    missing = FEATURES[-1].name
    with pytest.raises(ScoreInputError, match=re.escape(f"'{missing}'")):  # names hold $, (, ...
        score_record_batch(as_batch(unseen_table.drop(columns=[missing])), scorer, source="x.csv")


def test_an_empty_batch_has_the_same_schemas(scorer: Scorer, unseen_table: pd.DataFrame) -> None:
    good, bad = score_record_batch(as_batch(unseen_table.head(0)), scorer)
    assert (good.num_rows, bad.num_rows) == (0, 0)
    assert good.schema == scored_schema()
    assert bad.schema == quarantine_schema()


def test_binary_probabilities_add_up(scorer: Scorer, unseen_table: pd.DataFrame) -> None:
    good, _ = score_record_batch(as_batch(unseen_table.head(20)), scorer)
    if not classes():
        pytest.skip(f"{TARGET.name} is a number: no probabilities")
    assert np.allclose(batch_scores(good.to_pandas()).sum(axis=1), 1.0, atol=1e-5)
