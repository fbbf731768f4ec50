"""What Spark's workers write for a batch (batch/spark.py), checked without Spark.

Each partition's batch becomes one batch of the combined schema: the scored rows and the
refused ones side by side, so both outputs come from one pass. Spark itself, on a JVM, runs
in the template's own tests (and `make score ENGINE=spark`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from {{ cookiecutter.package_name }}.batch.rows import (
    ROW,
    quarantine_schema,
    score_record_batch,
    scored_schema,
)
from {{ cookiecutter.package_name }}.batch.spark import (
    FILE,
    KIND,
    QUARANTINED,
    REFUSED,
    SCORED,
    SparkError,
    combined_schema,
    load_scorer,
    local_path,
    session,
    side_by_side,
)
from {{ cookiecutter.package_name }}.core.contract import FEATURES


def as_text(frame: pd.DataFrame) -> pa.RecordBatch:
    """Every value as text, as Spark reads a CSV."""
    text = frame.astype(object).map(lambda value: None if pd.isna(value) else str(value))
    return pa.RecordBatch.from_pandas(text, preserve_index=False)


def test_a_batch_becomes_its_scored_and_refused_rows_with_their_places(
    serving_dir: Path, unseen_table: pd.DataFrame
) -> None:
    frame = unseen_table.head(5).copy()
    frame[FEATURES[0].name] = frame[FEATURES[0].name].astype(object)
    frame.loc[[1, 3], FEATURES[0].name] = "not-a-value"  # no number, flag or category
    good, bad = score_record_batch(as_text(frame), load_scorer(serving_dir), source="in.parquet")
    places = pa.array([10, 11, 12, 13, 14], pa.int64())  # the rows' places in their file

    combined = side_by_side(good, bad, "in.parquet", places)

    assert combined.schema == combined_schema()
    assert combined[KIND].to_pylist() == [SCORED] * 3 + [QUARANTINED] * 2
    assert set(combined[FILE].to_pylist()) == {"in.parquet"}
    scored = combined.slice(0, 3).select(scored_schema().names)
    assert scored.to_pylist() == good.to_pylist()
    refused = combined.slice(3).select([REFUSED + name for name in quarantine_schema().names])
    assert refused[REFUSED + ROW].to_pylist() == [12, 14]  # the file's rows, from 1


def test_rows_of_unknown_place_get_no_row_number(
    serving_dir: Path, unseen_table: pd.DataFrame
) -> None:
    frame = unseen_table.head(2).copy()
    frame[FEATURES[0].name] = "not-a-value"
    good, bad = score_record_batch(as_text(frame), load_scorer(serving_dir), source="in.csv")

    combined = side_by_side(good, bad, "in.csv", pa.nulls(2, pa.int64()))

    assert good.num_rows == 0
    assert combined[REFUSED + ROW].to_pylist() == [None, None]


def test_local_files_are_named_as_given_and_others_as_spark_names_them() -> None:
    assert local_path("file:/data/my%20batch.csv") == "/data/my batch.csv"
    assert local_path("s3a://bucket/batch.csv") == "s3a://bucket/batch.csv"


def test_without_pyspark_the_error_says_how_to_run_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as after `make install`

    with pytest.raises(SparkError, match="make score ENGINE=spark"):
        session("local[*]", tmp_path / "spark.log")
