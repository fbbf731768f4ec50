"""Every model kind params.yaml can choose trains and beats the trivial model.

It also loads back with the reviewed trusted types and exports to ONNX that matches
scikit-learn.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pydantic import TypeAdapter

from {{ cookiecutter.package_name }}.core.estimators import KINDS, ModelParams
from {{ cookiecutter.package_name }}.core.metrics import evaluate, trivial_model
from {{ cookiecutter.package_name }}.core.model import load, save
from {{ cookiecutter.package_name }}.core.params import Params
from {{ cookiecutter.package_name }}.pipeline.export import export
from {{ cookiecutter.package_name }}.pipeline.train import train

from ..records_data import serving_details

# Fewer trees than the defaults: the same code paths, in a fraction of the time.
SMALLER = {"random_forest": {"n_estimators": 20}, "gradient_boosting": {"max_iter": 20}}


@pytest.mark.parametrize("name", KINDS)
def test_each_kind_runs_from_training_to_serving(
    name: str, table: pd.DataFrame, unseen_table: pd.DataFrame, params: Params, tmp_path: Path
) -> None:
    kind = TypeAdapter(ModelParams).validate_python({"kind": name, **SMALLER.get(name, {})})
    path = tmp_path / "model.skops"

    save(train(table, kind), path)
    serving = tmp_path / "serving"
    details = serving_details()
    metadata = export(path, unseen_table, serving, kind=kind, rules=params.export, details=details)

    metric, rule = next(iter(params.gate.metrics.items()))
    model_score = evaluate(load(path), unseen_table)[metric]
    trivial_score = evaluate(trivial_model(table), unseen_table)[metric]
    assert (model_score > trivial_score) == (rule.direction == "higher")
    assert metadata.runtime == "onnx", metadata.parity.reason
