"""The record files stages hand on: saved with a version, read back typed, refused with the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.core.records import (
    Baseline,
    GoldenReport,
    GoldenSet,
    OnnxServing,
    SklearnServing,
    load_serving_metadata,
)
from {{ cookiecutter.package_name }}.core.task import Parity

GOLDEN = GoldenReport(
    metrics={"roc_auc": 0.91, "f1": 0.7},
    trivial={"roc_auc": 0.5, "f1": 0.0},
    golden=GoldenSet(path="data/golden.csv", sha256="ab" * 32, rows=400),
    contract_sha256="cd" * 32,
    libraries={"scikit-learn": "1.7.0"},
)


def serving(runtime: str) -> dict[str, object]:
    """A serving metadata file's content for `runtime`, as the export stage writes it."""
    content: dict[str, object] = {
        "schema_version": 1,
        "task": "binary",
        "model": "random_forest",
        "target": "churned",
        "registered_model": "demo-model",
        "version": "3",
        "run_id": "0123abcd",
        "commit": "f" * 40,
        "commit_note": "",
        "lineage": {"git_commit": "f" * 40},
        "params": {"n_estimators": 100},
        "model_sha256": "e" * 64,
        "golden_sha256": GOLDEN.golden.sha256,
        "parity": {"passed": runtime == "onnx", "reason": "ok", "rows": 400},
        "runtime": runtime,
        **GOLDEN.model_dump(mode="json", exclude={"contract_sha256"}),
        "contract_sha256": GOLDEN.contract_sha256,
    }
    if runtime == "onnx":
        content["onnx_inputs"] = {"tenure months": "tenure_months"}
    return content


def test_a_record_reads_back_as_it_was_saved(tmp_path: Path) -> None:
    path = tmp_path / "golden.json"
    GOLDEN.save(path)

    assert json.loads(path.read_text())["schema_version"] == 1
    assert GoldenReport.load(path) == GOLDEN


def test_a_file_written_before_versions_reads_as_version_1(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    content = {**GOLDEN.model_dump(mode="json"), "measured_at_commit": "a" * 40}
    path.write_text(json.dumps(content))

    assert Baseline.load(path) == Baseline(**dict(GOLDEN), measured_at_commit="a" * 40)


def test_another_version_is_refused_with_its_path_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "golden.json"
    path.write_text(json.dumps({**GOLDEN.model_dump(mode="json"), "schema_version": 2}))

    with pytest.raises(ValueError, match="schema version 2") as refused:
        GoldenReport.load(path)
    assert str(path) in str(refused.value)
    assert "make repro" in str(refused.value)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"metrics": {"roc_auc": "0.91"}}, "metrics.roc_auc"),  # text is never read as a number
        ({"golden": {"path": "g.csv", "sha256": "ab"}}, "golden.rows"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_a_wrong_shape_names_the_field(
    tmp_path: Path, change: dict[str, object], field: str
) -> None:
    path = tmp_path / "golden.json"
    path.write_text(json.dumps({**GOLDEN.model_dump(mode="json"), **change}))

    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        GoldenReport.load(path)


def test_a_missing_file_says_how_to_write_it(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="make baseline"):
        Baseline.load(tmp_path / "baseline.json")


@pytest.mark.parametrize(("runtime", "kind"), [("onnx", OnnxServing), ("sklearn", SklearnServing)])
def test_the_runtime_decides_the_serving_metadata_type(
    tmp_path: Path, runtime: str, kind: type
) -> None:
    path = tmp_path / "metadata.json"
    path.write_text(json.dumps(serving(runtime)))

    metadata = load_serving_metadata(path)

    assert isinstance(metadata, kind)
    assert metadata.parity == Parity(passed=runtime == "onnx", reason="ok", rows=400)
    assert metadata.golden_report() == GOLDEN


def test_an_unknown_runtime_or_an_onnx_model_without_inputs_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "metadata.json"
    path.write_text(json.dumps({**serving("onnx"), "runtime": "tensorrt"}))
    with pytest.raises(ValueError, match="runtime"):
        load_serving_metadata(path)

    content = serving("onnx")
    del content["onnx_inputs"]
    path.write_text(json.dumps(content))
    with pytest.raises(ValueError, match="onnx_inputs"):
        load_serving_metadata(path)
