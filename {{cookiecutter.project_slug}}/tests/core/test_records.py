"""The record files stages hand on: saved with a version, read back typed, refused with the fix."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.core.records import (
    Baseline,
    DataValidation,
    DriftReport,
    FeatureDrift,
    GateOverride,
    GateReport,
    GateRuleChange,
    GoldenReport,
    GoldenSet,
    Histogram,
    InvalidDriftInput,
    MetricCheck,
    MetricVerdict,
    OnnxServing,
    Outside,
    Performance,
    PredictionDrift,
    Problem,
    RecordError,
    RollbackReport,
    RolledDeployment,
    SklearnServing,
    Source,
    load_drift_report,
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


GATE = GateReport(
    passed=False,
    failed_checks=True,
    verdicts=[
        MetricVerdict(
            metric="roc_auc",
            direction="higher",
            baseline=0.91,
            candidate=float("nan"),  # a NaN score is written, read back, and fails the gate
            trivial=0.5,
            tolerance=0.01,
            limit=0.6,
            reasons=["candidate value is missing or not a finite number"],
        )
    ],
    problems=[],
    notes=["library versions differ from the baseline's: scikit-learn 1.7.0 -> 1.7.2"],
    baseline_source="`main:metrics/baseline.json`",
    commit="f" * 40,
    golden_sha256="ab" * 32,
    override=GateOverride(reason=None, by="octocat", refused="no re-baseline"),
    rule_changes=[GateRuleChange(metric="f1", change="tolerance 0.01 -> 0.02", loosens=True)],
)


def test_a_gate_report_reads_back_with_its_verdicts(tmp_path: Path) -> None:
    path = tmp_path / "gate.json"
    GATE.save(path)

    content = json.loads(path.read_text())
    assert (content["schema_version"], content["passed"]) == (1, False)  # what `jq .passed` reads
    verdict = content["verdicts"][0]
    assert verdict["passed"] is False  # derived, for the file's readers
    assert math.isnan(verdict["delta"])
    assert verdict["reasons"] == ["candidate value is missing or not a finite number"]
    read = GateReport.load(path)
    candidate = read.verdicts[0].candidate
    assert candidate is not None
    assert math.isnan(candidate)
    assert read.model_dump(exclude={"verdicts"}) == GATE.model_dump(exclude={"verdicts"})
    assert read.rule_changes[0].loosens is True


def test_a_gate_report_without_a_version_reads_and_another_version_is_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "gate.json"
    content = GATE.model_dump(mode="json")
    path.write_text(json.dumps(content))
    assert GateReport.load(path).commit == GATE.commit

    path.write_text(json.dumps({**content, "schema_version": 2}))
    with pytest.raises(ValueError, match="make gate") as refused:
        GateReport.load(path)
    assert f"{path} is a gate report of schema version 2" in str(refused.value)


def test_a_verdicts_passed_and_delta_are_derived_not_read(tmp_path: Path) -> None:
    path = tmp_path / "gate.json"
    content = GATE.model_dump(mode="json")
    content["verdicts"][0].update(candidate=0.95, passed=True, delta=-1.0)  # an edited file
    path.write_text(json.dumps(content))

    verdict = GateReport.load(path).verdicts[0]
    assert verdict.passed is False  # its reasons still say it fails
    assert verdict.delta == pytest.approx(0.04)


def test_a_gate_report_of_a_wrong_shape_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "gate.json"
    content = GATE.model_dump(mode="json")
    content["verdicts"][0]["tolerance"] = "0.01"  # text is never read as a number
    path.write_text(json.dumps(content))

    with pytest.raises(ValueError, match=r"verdicts\.0\.tolerance"):
        GateReport.load(path)


def drift_report() -> DriftReport:
    """A drift report of one drifted feature, as `make drift` writes it."""
    histogram = Histogram(labels=["<= 3", "> 3"], reference=[0.5, 0.5], current=[0.1, 0.9])
    rows = {"reference": 8_000, "current": 2_000}
    return DriftReport(
        status="drift",
        reasons=["dataset drift: 1 of 1 features drifted (100%, limit 50%): tenure months"],
        dataset_drift=True,
        drifted_features=["tenure months"],
        drifted_share=1.0,
        thresholds={"psi_threshold": 0.2, "min_rows": 500},
        features=[
            FeatureDrift(
                name="tenure months",
                kind="numeric",
                psi=0.9,
                wasserstein_normalized=1.2,
                js=None,
                null_share={"reference": 0.0, "current": 0.01},
                rows=rows,
                thresholds={"psi": 0.2, "distance": 0.1},
                verdict="drift",
                histogram=histogram,
            )
        ],
        prediction=PredictionDrift("probability", 0.01, 0.2, rows, "ok", histogram),
        performance=Performance(
            rows=2_000,
            baseline="metrics/baseline.json",
            metrics={"roc_auc": 0.9, "f1": None},
            checks=[MetricCheck("roc_auc", "higher", 0.91, 0.9, 0.01, 0.02, "ok", "ok")],
            degraded=[],
        ),
        outside_contract=[Outside("tenure months", "out of range", 3, ["line 7 = 412"])],
        notes=[],
        reference=Source("data/prepared/train.parquet", 8_000, "a" * 64),
        current=Source("data/batches/mild.csv", 2_000, "b" * 64),
        model={"runtime": "onnx", "version": "3", "model": "random_forest"},
        generated_at="2026-12-07T20:00:00+00:00",
    )


def test_a_drift_report_reads_back_as_the_verdict_it_was(tmp_path: Path) -> None:
    path = tmp_path / "drift.json"
    report = drift_report()
    report.save(path)

    assert json.loads(path.read_text())["status"] == "drift"  # what `jq -r .status` reads
    assert load_drift_report(path) == report


def test_the_status_decides_between_a_verdict_and_refused_input(tmp_path: Path) -> None:
    path = tmp_path / "drift.json"
    refused = InvalidDriftInput(
        status="invalid_input",
        problem="column 'tenure months' is missing",
        current="batch.csv",
        generated_at="2026-12-07T20:00:00+00:00",
    )
    refused.save(path)
    assert load_drift_report(path) == refused

    content = drift_report().model_dump(mode="json")
    path.write_text(json.dumps({**content, "status": "maybe"}))  # written before: no version
    with pytest.raises(ValueError, match="status") as wrong:
        load_drift_report(path)
    assert "make drift" in str(wrong.value)


def test_a_drift_report_of_a_wrong_shape_or_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "drift.json"
    content = drift_report().model_dump(mode="json")
    content["features"][0]["rows"]["current"] = 2.5  # a row count is a whole number
    path.write_text(json.dumps(content))
    with pytest.raises(ValueError, match=r"features\.0\.rows\.current"):
        load_drift_report(path)

    path.write_text(json.dumps({**drift_report().model_dump(mode="json"), "schema_version": 9}))
    with pytest.raises(ValueError, match="drift report of schema version 9"):
        load_drift_report(path)


def test_a_data_validation_report_reads_back_and_an_old_one_reads_too(tmp_path: Path) -> None:
    path = tmp_path / "data_validation.json"
    problem = Problem("data/raw.csv", "tenure", "in_range(0, 120)", 2, ["line 7 = 412"])
    DataValidation(status="failed", problems=[problem]).save(path)
    assert json.loads(path.read_text())["problems"][0]["column"] == "tenure"  # CI's artifact
    assert DataValidation.load(path).problems == [problem]

    path.write_text(json.dumps({"status": "passed", "problems": []}))  # before versions
    assert DataValidation.load(path).status == "passed"


def test_a_data_validation_report_of_a_wrong_shape_or_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "data_validation.json"
    path.write_text(json.dumps({"status": "passed", "problems": [{"column": "tenure"}]}))
    with pytest.raises(RecordError, match=r"problems\.0\.source.*make repro") as refused:
        DataValidation.load(path)
    assert str(path) in str(refused.value)

    path.write_text(json.dumps({"schema_version": 2, "status": "ok", "problems": []}))
    with pytest.raises(RecordError, match="data validation report of schema version 2"):
        DataValidation.load(path)


ROLLED_BACK = {
    "deployment": 7,
    "release": "v1.4.0",
    "digest": "sha256:" + "e" * 64,
    "registered_model": "demo-model",
    "version": "4",
    "run_id": "0123abcd",
}


def test_a_rollback_report_keeps_from_and_to_and_reads_an_old_file(tmp_path: Path) -> None:
    path = tmp_path / "rollback.json"
    kept = {"deployment": 5, "release": "v1.3.0", "digest": "sha256:" + "f" * 64}  # no model
    path.write_text(json.dumps({"environment": "production", "from": ROLLED_BACK, "to": kept}))

    report = RollbackReport.load(path)  # as `make rollback` wrote it before versions
    assert (report.rolled_back.deployment, report.restored.release) == (7, "v1.3.0")
    assert report.restored.payload() == {"release": "v1.3.0", "digest": kept["digest"]}

    report.save(path)
    content = json.loads(path.read_text())
    assert (content["from"]["release"], content["to"]["release"]) == ("v1.4.0", "v1.3.0")
    assert RollbackReport.load(path) == report


def test_a_rollback_report_of_a_wrong_shape_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "rollback.json"
    restored = RolledDeployment(deployment=5, release="v1.3.0", digest="sha256:" + "f" * 64)
    content = {"environment": "production", "from": {**ROLLED_BACK, "deployment": "7"}}
    path.write_text(json.dumps({**content, "to": restored.model_dump()}))

    with pytest.raises(RecordError, match=r"from\.deployment.*make rollback") as refused:
        RollbackReport.load(path)
    assert str(path) in str(refused.value)
