"""The columns a scored batch writes its predictions in, and how `drift` reads them back.

The same from every engine (`score` on one machine, Spark on many): `prediction` (the label
as the table writes it, or the value), one `probability_<class>` per class in the contract's
order (classification), then `model_version` and `run_id`. Only the batch scorer and the
drift check import this module, and pyarrow with it: the serving image has no pyarrow.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet

from {{ cookiecutter.package_name }}.core.contract import TARGET
from {{ cookiecutter.package_name }}.core.task import Label, Predictions

PREDICTION = "prediction"
MODEL_VERSION = "model_version"
RUN_ID = "run_id"


def probability_column(label: Label) -> str:
    """The column of one class's probability: `probability_<label>`."""
    return f"probability_{label}"


def classes() -> tuple[Label, ...]:
    """The target's classes in the contract's order; none for regression."""
    found: tuple[Label, ...] = getattr(TARGET, "classes", ())
    return found


def label_type() -> pa.DataType:
    """Labels stay as the table writes them: whole numbers, or text if any class is text."""
    return pa.string() if any(isinstance(label, str) for label in classes()) else pa.int64()


def prediction_fields() -> list[pa.Field]:
    """The prediction's columns for the contract's task, then the model's version and run."""
    if classes():
        predicted = [
            pa.field(PREDICTION, label_type(), nullable=False),
            *(pa.field(probability_column(c), pa.float64(), nullable=False) for c in classes()),
        ]
    else:
        predicted = [pa.field(PREDICTION, pa.float64(), nullable=False)]
    return [
        *predicted,
        pa.field(MODEL_VERSION, pa.string(), nullable=False),
        pa.field(RUN_ID, pa.string(), nullable=False),
    ]


def class_probabilities(predictions: Predictions) -> np.ndarray:
    """(rows, classes) probabilities; a binary model scores the positive class only."""
    probability = predictions.probability
    if probability is None:
        raise ValueError("class predictions carry probabilities; these do not")
    if probability.ndim == 1:
        return np.column_stack([1.0 - probability, probability])
    return probability


def labels(predictions: Predictions) -> pa.Array:
    """The predicted labels as the table writes them (Predictions.labels, vectorized)."""
    return pa.array(list(classes()), label_type()).take(predictions.values.astype(np.int64))


def prediction_arrays(predictions: Predictions, version: str, run_id: str) -> list[pa.Array]:
    """The values of prediction_fields(), in their order."""
    rows = len(predictions.values)
    if classes():
        probabilities = class_probabilities(predictions).astype(np.float64)
        predicted = [
            labels(predictions),
            *(pa.array(probabilities[:, column]) for column in range(len(classes()))),
        ]
    else:
        predicted = [pa.array(predictions.values.astype(np.float64))]
    return [
        *predicted,
        pa.repeat(pa.scalar(version, pa.string()), rows),
        pa.repeat(pa.scalar(run_id, pa.string()), rows),
    ]


def has_predictions(names: list[str]) -> bool:
    """Whether a file's columns include a scored batch's prediction columns."""
    return all(field.name in names for field in prediction_fields())


def read_predictions(path: Path) -> pa.Table | None:
    """The prediction columns of a batch `score` wrote (a Parquet file), else None."""
    if path.suffix != ".parquet" or not has_predictions(pyarrow.parquet.read_schema(path).names):
        return None
    return pyarrow.parquet.read_table(path, columns=[field.name for field in prediction_fields()])


def predictions_of(table: pa.Table) -> Predictions:
    """A scored batch's predictions, as the serving model returned them (for `drift`)."""
    values = table.column(PREDICTION).to_numpy(zero_copy_only=False)
    if not classes():
        return Predictions(values.astype(np.float64))
    probability = np.column_stack(
        [table.column(probability_column(c)).to_numpy(zero_copy_only=False) for c in classes()]
    )
    codes = TARGET.encode(values.tolist())  # type: ignore[union-attr]
    kept = probability[:, 1] if len(classes()) == 2 else probability
    return Predictions(codes, kept, classes())
