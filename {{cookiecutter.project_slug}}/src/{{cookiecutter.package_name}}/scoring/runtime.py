"""Run the exported model: ONNX Runtime by default, the skops model as the fallback.

Both take columns (feature name -> values) and return predictions in the same shape,
so the service and the export stage's parity check use exactly the same code path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from {{ cookiecutter.package_name }}.core.contract import FEATURES, TARGET
from {{ cookiecutter.package_name }}.core.files import JsonFileError
from {{ cookiecutter.package_name }}.core.records import (
    OnnxServing,
    SklearnServing,
    load_serving_metadata,
)
from {{ cookiecutter.package_name }}.core.task import Predictions

if TYPE_CHECKING:
    from {{ cookiecutter.package_name }}.core.features import Values

ONNX_FILE = "model.onnx"
SKOPS_FILE = "model.skops"
METADATA_FILE = "metadata.json"


class ServingModelError(RuntimeError):
    """The serving artifact is missing, unreadable or inconsistent."""


class ServingModel(Protocol):
    """What the service scores with: ONNX Runtime, or scikit-learn as the fallback."""

    def predict(self, columns: Mapping[str, Values]) -> Predictions:
        """Predictions for columns of contract features, one value per row."""


def onnx_feed(columns: Mapping[str, Values], inputs: Sequence[str]) -> dict[str, np.ndarray]:
    """One (n, 1) array per contract feature, typed as its feature says (features.py).

    `inputs` are the graph's input names in contract order: the converter turns column
    names into identifiers ("mean radius" becomes "mean_radius"), while callers keep the
    contract's names. Missing numbers and flags go in as NaN, which the graph imputes.
    """
    return {
        name: feature.onnx_array(columns[feature.name])
        for name, feature in zip(inputs, FEATURES, strict=True)
    }


class OnnxModel:
    """The exported ONNX graph in ONNX Runtime, one thread per request."""

    def __init__(self, path: Path) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        # A request is small; parallelism comes from requests. One thread also means no
        # intra-op pool, so no thread spins between runs eating a neighbour's CPU.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        try:
            self.session = onnxruntime.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:
            raise ServingModelError(f"{path} is not a loadable ONNX model: {error}") from None
        self.inputs = [graph_input.name for graph_input in self.session.get_inputs()]
        if len(self.inputs) != len(FEATURES):
            raise ServingModelError(
                f"{path} takes {len(self.inputs)} inputs but contract.yaml lists {len(FEATURES)} "
                "features: run `make repro` to export the model again"
            )

    def predict(self, columns: Mapping[str, Values]) -> Predictions:
        """Each feature fed as the graph's typed (n, 1) input."""
        return TARGET.task.from_onnx(self.session.run(None, onnx_feed(columns, self.inputs)))


class SklearnModel:
    """The fallback: the skops file, loaded only with the reviewed trusted types."""

    def __init__(self, path: Path) -> None:
        from {{ cookiecutter.package_name }}.core.model import ModelLoadError, load

        try:
            self.pipeline = load(path)
        except ModelLoadError as error:
            raise ServingModelError(str(error)) from None

    def predict(self, columns: Mapping[str, Values]) -> Predictions:
        """The columns as the training frame held them, through the fitted pipeline."""
        import pandas as pd

        frame = pd.DataFrame(
            {feature.name: feature.to_model(columns[feature.name]) for feature in FEATURES}
        )
        return TARGET.task.predict(self.pipeline, frame)


def load_serving(model_dir: Path) -> tuple[ServingModel, OnnxServing | SklearnServing]:
    """The model the export stage chose, with its metadata (runtime, version, metrics)."""
    metadata_path = Path(model_dir) / METADATA_FILE
    if not metadata_path.is_file():
        raise ServingModelError(
            f"{metadata_path} not found: run `make repro` (export stage) or set SERVE_MODEL_DIR"
        )
    try:
        metadata = load_serving_metadata(metadata_path)
    except JsonFileError as error:
        raise ServingModelError(str(error)) from None
    if isinstance(metadata, OnnxServing):
        return OnnxModel(Path(model_dir) / ONNX_FILE), metadata
    return SklearnModel(Path(model_dir) / SKOPS_FILE), metadata
