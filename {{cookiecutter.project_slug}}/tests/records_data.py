"""Record files as the pipeline writes them, for tests that need one without running it."""

from __future__ import annotations

from typing import Any

from {{ cookiecutter.package_name }}.core.contract import TARGET, fingerprint
from {{ cookiecutter.package_name }}.core.records import (
    Baseline,
    GoldenReport,
    GoldenSet,
)


def golden_report(
    metrics: dict[str, float],
    *,
    trivial: dict[str, float] | None = None,
    sha256: str = "g" * 64,
    rows: int = 500,
    contract_sha256: str | None = None,
) -> GoldenReport:
    """A golden report with these metrics (the trivial model's 0.0 unless given)."""
    return GoldenReport(
        metrics=metrics,
        trivial=dict.fromkeys(metrics, 0.0) if trivial is None else trivial,
        golden=GoldenSet(path="data/golden.csv", sha256=sha256, rows=rows),
        contract_sha256=fingerprint() if contract_sha256 is None else contract_sha256,
        libraries={"scikit-learn": "1.7.2"},
    )


def baseline(report: GoldenReport, commit: str = "b" * 40) -> Baseline:
    """`report` accepted as the baseline at `commit`."""
    return Baseline(**dict(report), measured_at_commit=commit)


def serving_details(report: GoldenReport | None = None, **changes: Any) -> dict[str, Any]:
    """What the export stage passes to `export` besides the runtime and parity."""
    report = report or golden_report({})
    details: dict[str, Any] = {
        **dict(report),
        "task": TARGET.task.name,
        "model": "random_forest",
        "target": TARGET.name,
        "registered_model": "test-model",
        "version": "7",
        "run_id": "abc123",
        "commit": "e" * 40,
        "commit_note": "",
        "lineage": {"git_commit": "f" * 40, "data_sha256": "d" * 64, "params_sha256": "p" * 64},
        "params": {"task": TARGET.task.name, "rows": 16000},
        "model_sha256": "m" * 64,
        "golden_sha256": report.golden.sha256,
    }
    return {**details, **changes}


def serving_metadata(
    report: GoldenReport | None = None, runtime: str = "onnx", **changes: Any
) -> dict[str, Any]:
    """The JSON content of a serving folder's metadata.json for `runtime`."""
    content = {
        **serving_details(report),
        "runtime": runtime,
        "parity": {"passed": runtime == "onnx", "reason": "ok", "rows": 500},
    }
    if runtime == "onnx":
        content["onnx_inputs"] = {}
    content = {**content, **changes}
    for key, value in content.items():
        if isinstance(value, GoldenSet):
            content[key] = value.model_dump()
    return content
