"""The serving artifact: ONNX when it matches scikit-learn, the skops model otherwise."""

from __future__ import annotations

import json

import numpy as np
import pytest

from {{ cookiecutter.package_name }} import export as export_stage
from {{ cookiecutter.package_name }}.contract import feature_names
from {{ cookiecutter.package_name }}.model import features_of, load
from {{ cookiecutter.package_name }}.params import Export
from {{ cookiecutter.package_name }}.serve.runtime import (
    OnnxModel,
    ServingModelError,
    SklearnModel,
    load_serving,
)

STRICTER_THAN_FLOAT32 = Export({% if cookiecutter.task == "classification" %}atol=0.0{% else %}rtol=0.0, atol=0.0{% endif %})


def columns_of(frame):
    return {name: frame[name].to_numpy() for name in feature_names()}


def test_exported_onnx_model_matches_scikit_learn_on_unseen_rows(
    serving_dir, trained_model_path, unseen_customers
):
    model, metadata = load_serving(serving_dir)

    assert metadata["runtime"] == "onnx"
    assert metadata["parity"]["passed"] is True
    assert isinstance(model, OnnxModel)
    served = model.predict(columns_of(unseen_customers))
    expected = load(trained_model_path)
{%- if cookiecutter.task == "classification" %}
    np.testing.assert_array_equal(served.values, expected.predict(features_of(unseen_customers)))
    np.testing.assert_allclose(
        served.probability, expected.predict_proba(features_of(unseen_customers))[:, 1], atol=1e-4
    )
{%- else %}
    np.testing.assert_allclose(
        served.values, expected.predict(features_of(unseen_customers)), rtol=1e-5, atol=1e-2
    )
{%- endif %}


def test_failed_conversion_falls_back_to_the_skops_model(
    trained_model_path, unseen_customers, params, tmp_path, monkeypatch
):
    def unsupported(model):
        raise RuntimeError("no converter for this estimator")

    monkeypatch.setattr(export_stage, "to_onnx", unsupported)

    metadata = export_stage.export(
        trained_model_path, unseen_customers, params.export, tmp_path / "out", {}
    )

    assert metadata["runtime"] == "sklearn"
    assert "no converter for this estimator" in metadata["parity"]["reason"]
    model, _ = load_serving(tmp_path / "out")
    assert isinstance(model, SklearnModel)
    assert len(model.predict(columns_of(unseen_customers)).values) == len(unseen_customers)


def test_parity_beyond_tolerance_falls_back_and_says_why(
    trained_model_path, unseen_customers, tmp_path
):
    metadata = export_stage.export(
        trained_model_path, unseen_customers, STRICTER_THAN_FLOAT32, tmp_path / "out", {}
    )

    assert metadata["runtime"] == "sklearn"
    assert not (tmp_path / "out" / "model.onnx").exists()
    assert "differ" in metadata["parity"]["reason"]


def test_missing_serving_artifact_says_how_to_make_it(tmp_path):
    with pytest.raises(ServingModelError, match="make repro"):
        load_serving(tmp_path)


def test_corrupt_onnx_file_is_refused_clearly(serving_dir, tmp_path):
    (tmp_path / "metadata.json").write_text(json.dumps({"runtime": "onnx"}))
    (tmp_path / "model.onnx").write_bytes(b"not a model")

    with pytest.raises(ServingModelError, match="not a loadable ONNX model"):
        load_serving(tmp_path)
