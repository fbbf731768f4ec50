"""The model card: written from the serving metadata (the image's).

It is judged by the checkout's baseline and rules; nothing else comes from the checkout (no
golden.json, no dvc.lock).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.core.contract import TARGET
from {{ cookiecutter.package_name }}.core.params import MetricRule, Params
from {{ cookiecutter.package_name }}.core.records import GoldenReport
from {{ cookiecutter.package_name }}.ops.model_card import collect, render

from ..conftest import PROJECT
from ..records_data import baseline, golden_report, serving_metadata


def passing_value(rule: MetricRule) -> float:
    """On the good side of the rule's absolute limit, whatever its sign (r2's can be < 0)."""
    step = 0.1 * max(1.0, abs(rule.limit))
    if rule.direction == "higher":
        return rule.limit + step
    return rule.limit * 0.5 if rule.limit > 0 else rule.limit - step  # an error stays >= 0


def golden(params: Params, **overrides: float) -> GoldenReport:
    metrics = {name: passing_value(rule) for name, rule in params.gate.metrics.items()}
    return golden_report({**metrics, **overrides}, contract_sha256="c" * 64)


def metadata(params: Params, runtime: str = "onnx", **overrides: float) -> dict[str, Any]:
    """What the export stage writes next to the model (and the image carries)."""
    return serving_metadata(
        golden(params, **overrides),
        runtime,
        model=params.model.kind,
        registered_model=params.mlflow.registered_model,
        params={"task": TARGET.task.name, "rows": 16000, **params.model.model_dump()},
    )


def write_json(path: Path, content: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content))


@pytest.fixture
def workdir(params: Params, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh checkout at a release tag: params.yaml, the baseline and the image's metadata.

    No golden.json, no dvc.lock, no pipeline outputs.
    """
    monkeypatch.chdir(tmp_path)
    shutil.copyfile(PROJECT / "params.yaml", tmp_path / "params.yaml")
    write_json(params.paths.baseline, baseline(golden(params)).model_dump(mode="json"))
    write_json(params.paths.serving / "metadata.json", metadata(params))
    return tmp_path


def test_card_names_version_model_metrics_and_lineage(params: Params, workdir: Path) -> None:
    card = render(params, collect(params), "v1.2.0", "ghcr.io/acme/churn:1.2.0")

    assert card.startswith(f"# {params.mlflow.registered_model} v1.2.0\n")
    assert "version 7" in card
    assert "ONNX Runtime (matches scikit-learn on 500 golden rows)" in card
    assert "`ghcr.io/acme/churn:1.2.0`" in card
    for metric in params.gate.metrics:
        row = next(line for line in card.splitlines() if line.startswith(f"| {metric} |"))
        assert row.endswith("| pass |")
    for digest in ("d" * 64, "g" * 64, "m" * 64, "p" * 64, "c" * 64, "f" * 40):
        assert f"`{digest}`" in card
    assert "| Golden-set rows | `500` |" in card
    assert "scikit-learn 1.7.2" in card
    assert "Missing inputs" not in card
    assert "not available" not in card
    for name in params.model.model_dump():
        assert f"- `{name}`:" in card


def test_a_regressed_metric_is_marked_as_failing_the_gate(params: Params, workdir: Path) -> None:
    metric, rule = next(iter(params.gate.metrics.items()))
    step = rule.tolerance + 0.05
    worse = passing_value(rule) - step if rule.direction == "higher" else passing_value(rule) + step
    write_json(params.paths.serving / "metadata.json", metadata(params, "onnx", **{metric: worse}))

    card = render(params, collect(params), "v1.2.1")

    row = next(line for line in card.splitlines() if line.startswith(f"| {metric} |"))
    assert "FAIL: worse than baseline" in row


def test_checkout_metrics_are_not_what_the_card_reports(params: Params, workdir: Path) -> None:
    """A developer's committed golden.json says nothing about the model in the image."""
    metric = next(iter(params.gate.metrics))
    write_json(params.paths.golden_metrics, golden(params, **{metric: -123.0}).model_dump())

    card = render(params, collect(params), "v1.2.2")

    assert "-123" not in card


def test_missing_metadata_is_named_instead_of_failing(params: Params, workdir: Path) -> None:
    (params.paths.serving / "metadata.json").unlink()

    card = render(params, collect(params), "v0.1.0")

    assert "## Missing inputs" in card
    assert f"`{params.paths.serving / 'metadata.json'}` is missing" in card
    assert "| Serving runtime | not available |" in card
    assert "Golden metrics: not available." in card


def test_metadata_from_an_older_export_is_named(params: Params, workdir: Path) -> None:
    old = metadata(params)
    del old["lineage"], old["params"]
    write_json(params.paths.serving / "metadata.json", old)

    card = render(params, collect(params), "v0.1.1")

    assert "is not a valid serving metadata (" in card
    assert "lineage: Field required" in card
    assert "run `make repro` (export stage)" in card


def test_command_line_writes_the_card_with_the_given_metadata(
    params: Params, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = workdir / "image-metadata.json"
    parity = {"passed": False, "reason": "labels differ", "rows": 500}
    other.write_text(json.dumps(metadata(params, "sklearn") | {"parity": parity}))

    main(["model-card", "--output", "out/card.md", "--metadata", str(other), "--version", "v2.0.0"])

    card = (workdir / "out" / "card.md").read_text()
    assert "v2.0.0" in card
    assert "scikit-learn via skops (ONNX not used: labels differ)" in card
    assert "wrote out/card.md" in capsys.readouterr().out
