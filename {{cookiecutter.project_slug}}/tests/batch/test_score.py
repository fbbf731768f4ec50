"""`score` on real files: CSV, Parquet, folders, a DuckDB query, and the ways input goes wrong.

Every bad input gets a message naming the file (exit 12) and leaves nothing behind, or a
quarantine row; a run killed half way resumes and writes the same bytes as one that was not.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

from {{ cookiecutter.package_name }}.batch import score as command
from {{ cookiecutter.package_name }}.batch.rows import (
    REASON,
    ROW,
    SOURCE,
    score_record_batch,
)
from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.core.contract import FEATURES
from {{ cookiecutter.package_name }}.core.files import sha256_of

from ..conftest import PROJECT

CANNOT_SCORE = 12


# The command's exit status, its manifest as parsed (None when it wrote none) and its stderr.
Outcome = tuple[int, Any, str]


@pytest.fixture
def score(
    serving_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Callable[..., Outcome]:
    """Run the command on an input; return (exit status, manifest or None, stderr)."""
    monkeypatch.chdir(PROJECT)

    def run(data: Path | str, out: Path | None = None, *args: str) -> Outcome:
        out = out or tmp_path / "out" / "scored.parquet"
        status = main(
            ["score", "--data", str(data), "--out", str(out), "--model", str(serving_dir), *args]
        )
        manifest = out.with_name(f"{out.stem}.manifest.json")
        content = json.loads(manifest.read_text()) if manifest.exists() else None
        return status, content, capsys.readouterr().err

    return run


def leftovers(folder: Path) -> list[str]:
    """Every file and folder under `folder`, hidden ones too."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def test_a_csv_with_bad_rows_is_scored_and_the_bad_rows_quarantined(
    score: Callable[..., Outcome], unseen_table: pd.DataFrame, tmp_path: Path
) -> None:
    frame = unseen_table.head(200).astype(object)
    numeric = next(f for f in FEATURES if f.kind == "numeric")
    categorical = next((f for f in FEATURES if f.kind == "categorical"), numeric)
    frame.loc[3, numeric.name] = "forty-two"
    frame.loc[7, categorical.name] = "no-such-category"
    data = tmp_path / "customers.csv"
    frame.to_csv(data, index=False)

    status, manifest, errors = score(data)

    assert status == 0, errors
    out = tmp_path / "out"
    scored, refused = (
        pq.read_table(out / "scored.parquet"),
        pq.read_table(out / "scored.quarantine.parquet"),
    )
    assert scored.num_rows == 198
    assert refused.column(ROW).to_pylist() == [4, 8]  # data rows; CSV lines 5 and 9
    reasons = refused.column(REASON).to_pylist()
    assert reasons[0].startswith(f"{numeric.name}: wrong type")
    assert reasons[1].startswith(f"{categorical.name}: ")
    assert set(refused.column(SOURCE).to_pylist()) == {str(data)}
    assert manifest["rows"] == {"input": 200, "scored": 198, "quarantined": 2}
    assert manifest["inputs"][0]["sha256"] == sha256_of(data)
    assert manifest["output"]["sha256"] == sha256_of(out / "scored.parquet")
    assert manifest["quarantine"]["sha256"] == sha256_of(out / "scored.quarantine.parquet")
    assert leftovers(out) == [
        "scored.manifest.json",
        "scored.parquet",
        "scored.quarantine.parquet",
    ]
    assert errors.count("\n") == 1  # one summary line
    assert "198 of 200 rows scored" in errors


def test_csv_parquet_and_a_query_give_the_same_rows(
    score: Callable[..., Outcome], unseen_table: pd.DataFrame, tmp_path: Path
) -> None:
    unseen_table.to_csv(tmp_path / "t.csv", index=False)
    unseen_table.to_parquet(tmp_path / "t.parquet")
    outputs = {}
    for name, data in {
        "csv": tmp_path / "t.csv",
        "parquet": tmp_path / "t.parquet",
        "query": f"SELECT * FROM '{tmp_path / 't.parquet'}'",
    }.items():
        out = tmp_path / name / "scored.parquet"
        status, _, errors = score(data, out)
        assert status == 0, errors
        outputs[name] = pq.read_table(out)
    assert outputs["csv"].equals(outputs["parquet"])
    assert outputs["query"].equals(outputs["parquet"])


def test_a_killed_run_resumes_and_writes_the_same_bytes(
    score: Callable[..., Outcome],
    unseen_table: pd.DataFrame,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "nightly"
    folder.mkdir()
    for part in range(3):
        unseen_table.iloc[part * 300 : (part + 1) * 300].to_parquet(folder / f"{part}.parquet")
    whole = tmp_path / "whole" / "scored.parquet"
    assert score(folder, whole, "--batch-rows", "100")[0] == 0

    real = score_record_batch
    calls = []

    def killed_in_the_second_file(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 5:  # file 2's second batch
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(command, "score_record_batch", killed_in_the_second_file)
    resumed = tmp_path / "resumed" / "scored.parquet"
    with pytest.raises(KeyboardInterrupt):
        score(folder, resumed, "--batch-rows", "100")
    assert not resumed.exists()
    assert any(name.endswith(".counts.json") for name in leftovers(resumed.parent))

    monkeypatch.setattr(command, "score_record_batch", real)
    status, manifest, errors = score(folder, resumed, "--batch-rows", "100")

    assert status == 0, errors
    assert "resuming" in errors
    assert manifest["resumed"] is True
    assert sha256_of(resumed) == sha256_of(whole)
    assert manifest["rows"]["input"] == 900
    assert leftovers(resumed.parent) == leftovers(whole.parent)


def test_an_empty_file_is_refused_naming_it_and_nothing_is_written(
    score: Callable[..., Outcome], tmp_path: Path
) -> None:
    data = tmp_path / "empty.csv"
    data.write_text("")
    status, manifest, errors = score(data)
    assert status == CANNOT_SCORE
    assert f"{data} is empty" in errors
    assert manifest is None
    assert leftovers(tmp_path / "out") == []


def test_a_header_without_rows_scores_no_rows(
    score: Callable[..., Outcome], unseen_table: pd.DataFrame, tmp_path: Path
) -> None:
    data = tmp_path / "header.csv"
    unseen_table.head(0).to_csv(data, index=False)
    status, manifest, errors = score(data)
    assert status == 0, errors
    assert manifest["rows"] == {"input": 0, "scored": 0, "quarantined": 0}


def test_a_truncated_parquet_file_is_refused_naming_it(
    score: Callable[..., Outcome], unseen_table: pd.DataFrame, tmp_path: Path
) -> None:
    whole = tmp_path / "whole.parquet"
    unseen_table.to_parquet(whole)
    data = tmp_path / "truncated.parquet"
    data.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    status, _, errors = score(data)
    assert status == CANNOT_SCORE
    assert f"{data} is not a readable Parquet file" in errors
    assert "truncated" in errors
    assert leftovers(tmp_path / "out") == []


def test_a_truncated_csv_stops_without_leaving_part_files(
    score: Callable[..., Outcome], unseen_table: pd.DataFrame, tmp_path: Path
) -> None:
    data = tmp_path / "truncated.csv"
    text = unseen_table.to_csv(index=False)
    data.write_text(text[: len(text) // 2].rsplit(",", 1)[0])  # cut inside a row
    status, _, errors = score(data)
    assert status == CANNOT_SCORE
    assert str(data) in errors
    assert leftovers(tmp_path / "out") == []


def test_a_wrong_typed_column_quarantines_its_rows(
    score: Callable[..., Outcome], unseen_table: pd.DataFrame, tmp_path: Path
) -> None:
    numeric = next(f for f in FEATURES if f.kind == "numeric")
    frame = unseen_table.head(50).copy()
    frame[numeric.name] = "n/a-" + frame[numeric.name].astype(str)  # text where numbers go
    data = tmp_path / "typed.parquet"
    frame.to_parquet(data)
    status, manifest, errors = score(data)
    assert status == 0, errors
    assert manifest["rows"] == {"input": 50, "scored": 0, "quarantined": 50}


def test_a_folder_with_other_files_is_refused_naming_them(
    score: Callable[..., Outcome], unseen_table: pd.DataFrame, tmp_path: Path
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    unseen_table.head(10).to_csv(folder / "a.csv", index=False)
    unseen_table.head(10).to_parquet(folder / "b.parquet")
    (folder / "notes.txt").write_text("not a table")
    status, _, errors = score(folder)
    assert status == CANNOT_SCORE
    assert "notes.txt" in errors
    assert leftovers(tmp_path / "out") == []

    (folder / "notes.txt").unlink()  # CSV and Parquet together are fine: the contract types both
    status, manifest, errors = score(folder)
    assert status == 0, errors
    assert [Path(f["path"]).name for f in manifest["inputs"]] == ["a.csv", "b.parquet"]
    assert manifest["rows"]["scored"] == 20


def test_a_file_without_a_feature_is_refused_naming_the_column(
    score: Callable[..., Outcome], unseen_table: pd.DataFrame, tmp_path: Path
) -> None:
    missing = FEATURES[0].name
    data = tmp_path / "partial.parquet"
    unseen_table.drop(columns=[missing]).to_parquet(data)
    status, _, errors = score(data)
    assert status == CANNOT_SCORE
    assert f"'{missing}'" in errors
    assert str(data) in errors
    assert leftovers(tmp_path / "out") == []


def test_output_must_be_parquet(
    score: Callable[..., Outcome], unseen_table: pd.DataFrame, tmp_path: Path
) -> None:
    data = tmp_path / "t.parquet"
    unseen_table.head(5).to_parquet(data)
    assert score(data, tmp_path / "out.csv")[0] == 2


def test_the_scored_rows_keep_the_input_order(
    score: Callable[..., Outcome], unseen_table: pd.DataFrame, tmp_path: Path
) -> None:
    data = tmp_path / "t.parquet"
    unseen_table.to_parquet(data)
    assert score(data, None, "--batch-rows", "64")[0] == 0
    scored = pd.read_parquet(tmp_path / "out" / "scored.parquet")
    for feature in FEATURES:
        assert values(scored[feature.name]) == values(unseen_table[feature.name]), feature.name


def values(column: pd.Series) -> list[object]:
    """The column's values, None for each missing one (NaN is unequal to itself)."""
    return [None if pd.isna(value) else value for value in column.tolist()]
