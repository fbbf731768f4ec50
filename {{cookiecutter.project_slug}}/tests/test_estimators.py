"""Every model kind params.yaml can choose trains, beats the trivial model, loads back with
the reviewed trusted types and exports to ONNX that matches scikit-learn."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.estimators import KINDS
from {{ cookiecutter.package_name }}.export import export
from {{ cookiecutter.package_name }}.metrics import evaluate, trivial_model
from {{ cookiecutter.package_name }}.model import load, save
from {{ cookiecutter.package_name }}.train import train


@pytest.mark.parametrize("name", KINDS)
def test_each_kind_with_its_defaults_runs_from_training_to_serving(
    name, customers, unseen_customers, params, tmp_path
):
    kind = KINDS[name](kind=name)
    path = tmp_path / "model.skops"

    save(train(customers, kind), path)
    serving = tmp_path / "serving"
    metadata = export(path, unseen_customers, serving, kind=kind, rules=params.export, details={})

    metric, rule = next(iter(params.gate.metrics.items()))
    model_score = evaluate(load(path), unseen_customers)[metric]
    trivial_score = evaluate(trivial_model(customers), unseen_customers)[metric]
    assert (model_score > trivial_score) == (rule.direction == "higher")
    assert metadata["runtime"] == "onnx", metadata["parity"]["reason"]
