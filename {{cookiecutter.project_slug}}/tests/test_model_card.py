"""The model card: written from the committed metrics, params, dvc.lock and serving metadata."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.contract import TARGET
from {{ cookiecutter.package_name }}.model_card import collect, main, render
from {{ cookiecutter.package_name }}.params import MetricRule, Params

from .conftest import PROJECT


def passing_value(rule: MetricRule) -> float:
    """A value inside the rule's absolute limit."""
    return rule.limit * 1.1 if rule.direction == "higher" else rule.limit * 0.5


def golden_report(params: Params, **overrides: float | None) -> dict:
    metrics = {name: passing_value(rule) for name, rule in params.gate.metrics.items()}
    return {
        "metrics": {**metrics, **overrides},
        "trivial": dict.fromkeys(metrics, 0.0),
        "golden": {"path": params.paths.golden.as_posix(), "sha256": "g" * 64, "rows": 500},
        "contract_sha256": "c" * 64,
    }


def write_json(path: Path, content: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content))


@pytest.fixture
def workdir(params, tmp_path, monkeypatch) -> Path:
    """A working directory holding every input the card reads (params' relative paths)."""
    monkeypatch.chdir(tmp_path)
    shutil.copyfile(PROJECT / "params.yaml", tmp_path / "params.yaml")
    paths = params.paths
    write_json(paths.golden_metrics, golden_report(params))
    write_json(paths.baseline, golden_report(params))
    write_json(
        paths.serving / "metadata.json",
        {
            "task": TARGET.task.name,
            "model": params.model.kind,
            "target": "label",
            "registered_model": params.mlflow.registered_model,
            "version": "7",
            "run_id": "abc123",
            "commit": "f" * 40,
            "runtime": "onnx",
            "parity": {"passed": True, "reason": "ok", "rows": 500},
        },
    )
    lock = {
        "schema": "2.0",
        "stages": {
            "data": {
                "cmd": "python -m pkg.data",
                "deps": [
                    {"path": paths.raw.as_posix(), "hash": "md5", "md5": "1" * 32, "size": 10},
                    {"path": paths.golden.as_posix(), "hash": "md5", "md5": "2" * 32, "size": 5},
                ],
            },
            "train": {"outs": [{"path": paths.model.as_posix(), "md5": "3" * 32, "size": 1}]},
        },
    }
    Path("dvc.lock").write_text(yaml.safe_dump(lock))
    return tmp_path


def test_card_names_version_model_metrics_and_data(params, workdir):
    card = render(params, collect(params), "v1.2.0", "ghcr.io/acme/churn:1.2.0")

    assert card.startswith(f"# {params.mlflow.registered_model} v1.2.0\n")
    assert "version 7" in card
    assert "ONNX Runtime (matches scikit-learn on 500 golden rows)" in card
    assert "`ghcr.io/acme/churn:1.2.0`" in card
    for metric in params.gate.metrics:
        row = next(line for line in card.splitlines() if line.startswith(f"| {metric} |"))
        assert row.endswith("| pass |")
    assert f"`{'1' * 32}`" in card  # training data md5 from dvc.lock
    assert f"`{'2' * 32}`" in card  # golden set md5
    assert f"`{'3' * 32}`" in card  # model md5
    assert f"`{'g' * 64}`" in card
    assert "Missing inputs" not in card
    for name in params.model.model_dump():
        assert f"- `{name}`:" in card


def test_a_regressed_metric_is_marked_as_failing_the_gate(params, workdir):
    metric, rule = next(iter(params.gate.metrics.items()))
    step = rule.tolerance + 0.05
    worse = passing_value(rule) - step if rule.direction == "higher" else passing_value(rule) + step
    write_json(params.paths.golden_metrics, golden_report(params, **{metric: worse}))

    card = render(params, collect(params), "v1.2.1")

    row = next(line for line in card.splitlines() if line.startswith(f"| {metric} |"))
    assert "FAIL: worse than baseline" in row


def test_missing_inputs_are_named_instead_of_failing(params, workdir):
    (params.paths.serving / "metadata.json").unlink()
    Path("dvc.lock").unlink()

    card = render(params, collect(params), "v0.1.0")

    assert "## Missing inputs" in card
    assert f"`{params.paths.serving / 'metadata.json'}` is missing" in card
    assert "`dvc.lock` is missing" in card
    assert "| Serving runtime | not available |" in card


def test_command_line_writes_the_card_with_the_given_metadata(params, workdir, capsys):
    other = workdir / "image-metadata.json"
    other.write_text(json.dumps({"runtime": "sklearn", "parity": {"reason": "labels differ"}}))

    main(["--output", "out/card.md", "--metadata", str(other), "--version", "v2.0.0"])

    card = (workdir / "out" / "card.md").read_text()
    assert "v2.0.0" in card
    assert "scikit-learn via skops (ONNX not used: labels differ)" in card
    assert "wrote out/card.md" in capsys.readouterr().out
