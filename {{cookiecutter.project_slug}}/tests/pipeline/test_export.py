"""The serving artifact: ONNX when it matches scikit-learn, the skops model otherwise."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.core.contract import FEATURES, TARGET, feature_names
from {{ cookiecutter.package_name }}.core.model import features_of, load
from {{ cookiecutter.package_name }}.core.params import Export, Params
from {{ cookiecutter.package_name }}.core.records import OnnxServing
from {{ cookiecutter.package_name }}.pipeline import export as export_stage
from {{ cookiecutter.package_name }}.scoring.runtime import (
    OnnxModel,
    ServingModelError,
    SklearnModel,
    load_serving,
)

from ..records_data import serving_details, serving_metadata


@pytest.fixture
def stricter_than_float32(params: Params) -> Export:
    """params.yaml's export tolerances, every one set to zero."""
    return params.export.model_copy(update=dict.fromkeys(type(params.export).model_fields, 0.0))


def columns_of(frame: pd.DataFrame) -> dict[str, Any]:
    """The runtime's input: contract names to values, as the service passes them."""
    return {name: frame[name] for name in feature_names()}


def test_exported_onnx_model_matches_scikit_learn_on_unseen_rows(
    serving_dir: Path, trained_model_path: Path, unseen_table: pd.DataFrame, params: Params
) -> None:
    model, metadata = load_serving(serving_dir)

    assert metadata.runtime == "onnx"
    assert metadata.parity.passed is True
    assert isinstance(model, OnnxModel)
    served = model.predict(columns_of(unseen_table))
    expected = TARGET.task.predict(load(trained_model_path), features_of(unseen_table))
    # Equal labels (they differ by 1 when they differ) or close values, and the export's rule
    # (params.yaml: export) holds on rows the export never checked.
    np.testing.assert_allclose(served.values, expected.values, rtol=1e-5, atol=1e-2)
    parity = TARGET.task.parity(expected, served, params.export)
    assert parity.passed, parity.reason


def test_failed_conversion_falls_back_to_the_skops_model(
    trained_model_path: Path,
    unseen_table: pd.DataFrame,
    params: Params,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unsupported(model: object, kind: object) -> NoReturn:
        raise RuntimeError("no converter for this estimator")

    monkeypatch.setattr(export_stage, "to_onnx", unsupported)

    metadata = export_stage.export(
        trained_model_path,
        unseen_table,
        tmp_path / "out",
        kind=params.model,
        rules=params.export,
        details=serving_details(),
    )

    assert metadata.runtime == "sklearn"
    assert "no converter for this estimator" in metadata.parity.reason
    model, _ = load_serving(tmp_path / "out")
    assert isinstance(model, SklearnModel)
    assert len(model.predict(columns_of(unseen_table)).values) == len(unseen_table)


def test_parity_beyond_tolerance_falls_back_and_says_why(
    trained_model_path: Path,
    unseen_table: pd.DataFrame,
    params: Params,
    stricter_than_float32: Export,
    tmp_path: Path,
) -> None:
    metadata = export_stage.export(
        trained_model_path,
        unseen_table,
        tmp_path / "out",
        kind=params.model,
        rules=stricter_than_float32,
        details=serving_details(),
    )

    assert metadata.runtime == "sklearn"
    assert not (tmp_path / "out" / "model.onnx").exists()
    assert "differ" in metadata.parity.reason


def test_missing_serving_artifact_says_how_to_make_it(tmp_path: Path) -> None:
    with pytest.raises(ServingModelError, match="make repro"):
        load_serving(tmp_path)


def test_corrupt_onnx_file_is_refused_clearly(serving_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "metadata.json").write_text(json.dumps(serving_metadata(runtime="onnx")))
    (tmp_path / "model.onnx").write_bytes(b"not a model")

    with pytest.raises(ServingModelError, match="not a loadable ONNX model"):
        load_serving(tmp_path)


def test_onnx_inputs_are_mapped_from_the_contract_names(serving_dir: Path) -> None:
    _, metadata = load_serving(serving_dir)

    assert isinstance(metadata, OnnxServing)
    assert set(metadata.onnx_inputs) == set(feature_names())
    assert all(name.isidentifier() for name in metadata.onnx_inputs.values())


def test_missing_values_are_served_like_the_pipeline_serves_them(
    serving_dir: Path, trained_model_path: Path, unseen_table: pd.DataFrame
) -> None:
    # Given rows where every feature that may be missing is missing
    rows = unseen_table.head(20).copy()
    for feature in FEATURES:
        if feature.nullable:
            rows[feature.name] = None

    # When ONNX Runtime scores them, then it agrees with scikit-learn
    model, _ = load_serving(serving_dir)
    served = model.predict(columns_of(rows))
    expected = load(trained_model_path).predict(features_of(rows))
    np.testing.assert_allclose(served.values, expected, rtol=1e-5, atol=1e-2)  # labels: equal
