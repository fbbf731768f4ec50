"""Binary, multiclass or regression: everything that differs between tasks, behind one object.

contract.py's TARGET decides the task (a BinaryTarget is classification, a MulticlassTarget
multiclass, a NumericTarget regression) and `TARGET.task` returns the object below. The
pipeline, the export, the service and the monitor ask it instead of branching on the task:
which estimator of a model kind to build, what a prediction is, which metrics score it, the
trivial model to beat, the plots, the ONNX outputs, the split's stratification and the
serving response's fields.

Libraries other than numpy and pydantic are imported inside the methods that need them: the
serving image has no scikit-learn, pandas or pandera, and still imports the contract.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, create_model

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd
    import pandera.pandas as pa
    from sklearn.base import BaseEstimator

    from {{ cookiecutter.package_name }}.core.estimators import ModelKind

Label = str | int  # a class as the table writes it


class LabelTarget(Protocol):
    """What a task needs of a class target (targets.py's BinaryTarget or MulticlassTarget).

    A protocol, not an import: targets.py builds the task from the target, so the task may
    not import targets.py back.
    """

    @property
    def name(self) -> str:
        """The target column's name."""

    @property
    def description(self) -> str:
        """What the target means, for the docs and the API schema."""

    @property
    def classes(self) -> tuple[Label, ...]:
        """The classes as the table writes them, in code order."""

    def encode(self, values: Iterable[object]) -> np.ndarray:
        """Each label's code: its position in `classes`."""


class BinaryLabelTarget(LabelTarget, Protocol):
    """A two-class target: its positive class is the one the model scores."""

    @property
    def positive(self) -> Label:
        """The class whose probability the model scores."""


class NumberTarget(Protocol):
    """What the regression task needs of targets.py's NumericTarget."""

    @property
    def name(self) -> str:
        """The target column's name."""

    @property
    def description(self) -> str:
        """What the target means, for the docs and the API schema."""

    @property
    def minimum(self) -> float:
        """The smallest plausible value."""

    @property
    def maximum(self) -> float:
        """The largest plausible value."""


THRESHOLD = 0.5  # a probability at or above it counts as the positive class in the metrics


class TaskSettings(BaseModel):
    """A task-specific section of params.yaml (params.py picks the one of TARGET's task)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class ClassificationValidation(TaskSettings):
    """Dataset-level rules for a 0/1 target, beyond the contract's per-value checks."""

    min_positive_share: float = Field(ge=0, le=1)
    max_positive_share: float = Field(ge=0, le=1)


class MulticlassValidation(TaskSettings):
    """Dataset-level rules for a class label, beyond the contract's list of classes."""

    min_class_share: float = Field(ge=0, le=1)  # every class holds at least this share


class RegressionValidation(TaskSettings):
    """Dataset-level rules for a numeric target, beyond the contract's range."""

    min_target_std: float = Field(ge=0)


class ClassificationExport(TaskSettings):
    """How closely ONNX Runtime must match scikit-learn on the golden set (params.yaml `export`).

    The defaults are the task's, written only here (the template's params.yaml shows them;
    `make import-data` writes them for a project whose task it changes).
    """

    atol: float = Field(default=1.0e-4, ge=0)  # on probabilities; labels must be identical


class RegressionExport(TaskSettings):
    """How closely ONNX Runtime must match scikit-learn on the golden set (params.yaml `export`).

    The defaults are the task's, written only here (see ClassificationExport).
    """

    rtol: float = Field(default=1.0e-5, ge=0)  # ~1e-7 relative error per value, with headroom
    atol: float = Field(default=1.0e-2, ge=0)


Validation = ClassificationValidation | MulticlassValidation | RegressionValidation
Export = ClassificationExport | RegressionExport

# dvc.yaml's `plots` of each file a task's write_plots writes (`dvc plots show`).
Plot = dict[str, dict[str, str]]
ROC_PLOT: Plot = {
    "${paths.reports}/plots/roc.csv": {
        "x": "fpr",
        "y": "tpr",
        "title": "ROC curve on the golden set",
    }
}
CONFUSION_PLOT: Plot = {
    "${paths.reports}/plots/confusion.csv": {
        "template": "confusion",
        "x": "predicted",
        "y": "actual",
        "title": "Confusion matrix on the golden set",
    }
}
SCATTER_PLOT: Plot = {
    "${paths.reports}/plots/predictions.csv": {
        "template": "scatter",
        "x": "actual",
        "y": "predicted",
        "title": "Predicted against actual on the golden set",
    }
}


def mixed_up(rules: object, expected: type[TaskSettings]) -> TypeError:
    """Settings of the other task: params.py prevents it for params.yaml; this names it."""
    return TypeError(
        f"{type(rules).__name__} given where {expected.__name__} is needed: the settings "
        "do not belong to the task of contract.yaml's target"
    )


@dataclass(frozen=True)
class Predictions:
    """What a model says about some rows, in the same shape from scikit-learn and ONNX."""

    values: np.ndarray  # per row: the class's code (classification) or the value (regression)
    probability: np.ndarray | None = None  # binary: of the positive class; multiclass: per class
    classes: tuple[Label, ...] = ()  # classification: the table's label of each code

    @property
    def score(self) -> np.ndarray:
        """The continuous output the metrics, plots and drift checks use."""
        return self.values if self.probability is None else self.probability

    @property
    def typical(self) -> float:
        """One number per request for the service's histogram: mean value or probability.

        Multiclass: the mean probability of the predicted class (the model's confidence).
        """
        if self.probability is not None and self.probability.ndim == 2:
            return float(self.probability.max(axis=1).mean())
        return float(self.score.mean())

    def labels(self) -> list[Label]:
        """The predicted classes in the table's own form."""
        return [self.classes[int(code)] for code in self.values]

    def records(self) -> list[dict[str, Any]]:
        """One dict per row, named like the fields of the API's prediction."""
        if not self.classes:
            return [{"prediction": value} for value in self.values.tolist()]
        if self.probability is None:
            raise ValueError("class predictions carry probabilities; these do not")
        if self.probability.ndim == 1:
            return [
                {"prediction": label, "probability": probability}
                for label, probability in zip(self.labels(), self.probability.tolist(), strict=True)
            ]
        names = [str(label) for label in self.classes]
        return [
            {"prediction": label, "probabilities": dict(zip(names, row, strict=True))}
            for label, row in zip(self.labels(), self.probability.tolist(), strict=True)
        ]


@dataclass(frozen=True)
class Parity:
    """Whether ONNX Runtime reproduces scikit-learn on the golden set, and by how much."""

    passed: bool
    reason: str
    rows: int = 0
    max_abs_diff: float | None = None
    label_mismatches: int | None = None  # classification only


class ValuePrediction(BaseModel):
    """One record's predicted value, as the API returns it."""

    prediction: float = Field(description="Predicted value")


def metric_name(label: Label) -> str:
    """A class label as part of a metric's name: characters MLflow refuses become "_"."""
    return re.sub(r"[^\w.\- /]", "_", str(label))


def label_field(target: LabelTarget) -> tuple[Any, Any]:
    """The API's `prediction` field of a class label: one of the classes, as the table has them."""
    label: Any = Literal.__getitem__(target.classes)
    return label, Field(description=f"Predicted {target.name}: one of {list(target.classes)}")


def response_of(prediction: type[BaseModel]) -> type[BaseModel]:
    """The API's whole answer: the model version and one prediction per record."""
    answer: type[BaseModel] = create_model(
        "PredictionResponse",
        model_version=(str, ...),
        predictions=(list[prediction], ...),  # type: ignore[valid-type]
    )
    return answer


class Task(ABC):
    """The behaviour one kind of target asks of the pipeline, the export and the service."""

    name: ClassVar[str]  # the tag params.yaml's task-specific sections are validated under
    summary_key: ClassVar[str]  # what metrics/data.json calls the target's summary
    validation_settings: ClassVar[type[TaskSettings]]  # params.yaml's `validation`
    export_settings: ClassVar[type[TaskSettings]]  # params.yaml's `export`
    plots: ClassVar[tuple[Plot, ...]]  # dvc.yaml's `plots`, which `make import-data` writes

    @property
    @abstractmethod
    def prediction_model(self) -> type[BaseModel]:
        """The fields the API returns per record."""

    @abstractmethod
    def estimator(self, kind: ModelKind) -> BaseEstimator:
        """The model kind's estimator for this task, unfitted."""

    @abstractmethod
    def trivial_estimator(self) -> BaseEstimator:
        """A model that ignores the features: the floor every real model must beat."""

    @abstractmethod
    def truth(self, values: Any) -> np.ndarray:
        """The target column as the model and the metrics take it (class codes, or numbers)."""

    @abstractmethod
    def summary(self, values: pd.Series) -> float | dict[str, float]:
        """The target column in a number or two, for metrics/data.json."""

    @abstractmethod
    def predict(self, model: Any, features: pd.DataFrame) -> Predictions:
        """A fitted scikit-learn pipeline's predictions for some rows of features."""

    @abstractmethod
    def score(self, truth: np.ndarray, score: np.ndarray) -> dict[str, float]:
        """The metrics of `score` (Predictions.score) against `truth` (from `truth()`)."""

    @abstractmethod
    def write_plots(self, truth: pd.Series, predictions: Predictions, folder: Path) -> None:
        """The plot data `dvc plots show` renders (dvc.yaml's top-level `plots`)."""

    @abstractmethod
    def target_column(self, rules: Validation | None) -> pa.Column:
        """The pandera column of the target; `rules` None checks single values only."""

    @abstractmethod
    def onnx_options(self) -> dict[str, object]:
        """skl2onnx options for the final estimator, so its outputs read as `from_onnx` expects."""

    @abstractmethod
    def from_onnx(self, outputs: list[Any]) -> Predictions:
        """The ONNX Runtime outputs of a converted pipeline, as Predictions."""

    @abstractmethod
    def parity(self, expected: Predictions, served: Predictions, rules: Export) -> Parity:
        """Whether the served predictions match scikit-learn's within params.yaml's `export`."""

    @abstractmethod
    def score_histogram(self) -> tuple[str, str, tuple[float, ...]]:
        """Name, help and buckets of the service's Prometheus histogram of Predictions.typical."""

    @property
    @abstractmethod
    def score_description(self) -> str:
        """What prediction drift compares, in words, for reports."""

    def stratify(self, frame: pd.DataFrame) -> pd.Series | None:
        """The column a train/test split keeps in proportion, if any."""
        return None


class Labels(Task):
    """What binary and multiclass share: classes in the table's form, codes in the model."""

    export_settings = ClassificationExport

    def __init__(self, target: LabelTarget) -> None:
        self.target = target

    def estimator(self, kind: ModelKind) -> BaseEstimator:
        """The kind's classifier."""
        return kind.classifier()

    def trivial_estimator(self) -> BaseEstimator:
        """Always the training share of each class (the prior)."""
        from sklearn.dummy import DummyClassifier

        return DummyClassifier(strategy="prior")

    def truth(self, values: Any) -> np.ndarray:
        """Each label's code: its position in the target's classes."""
        return self.target.encode(values)

    def labelled(self, codes: np.ndarray, probability: np.ndarray) -> Predictions:
        """Predictions that answer in the table's labels."""
        return Predictions(np.asarray(codes), probability, self.target.classes)

    def target_column(self, rules: Validation | None) -> pa.Column:
        """One of the classes, typed as the table writes them; `rules` as `dataset_checks`."""
        import pandera.pandas as pa

        classes = list(self.target.classes)
        dtype = "int64" if all(isinstance(label, int) for label in classes) else "str"
        checks = [pa.Check.isin(classes), *self.dataset_checks(rules)]
        return pa.Column(dtype, checks, description=self.target.description)

    @abstractmethod
    def dataset_checks(self, rules: Validation | None) -> list[pa.Check]:
        """params.yaml's `validation` as checks of the whole column (none without rules)."""

    def confusion(self, truth: pd.Series, predictions: Predictions, folder: Path) -> None:
        """confusion.csv: the actual and the predicted class per golden row, as labels."""
        import pandas as pd

        from {{ cookiecutter.package_name }}.core.files import write_atomically

        table = pd.DataFrame({"actual": truth.to_numpy(), "predicted": predictions.labels()})
        write_atomically(folder / "confusion.csv", lambda tmp: table.to_csv(tmp, index=False))

    def onnx_options(self) -> dict[str, object]:
        """Probabilities as a plain tensor, not a list of dicts (zipmap)."""
        return {"zipmap": False}

    def parity(self, expected: Predictions, served: Predictions, rules: Export) -> Parity:
        """Identical labels, and probabilities within `atol`."""
        if not isinstance(rules, ClassificationExport):
            raise mixed_up(rules, ClassificationExport)
        if expected.probability is None or served.probability is None:
            raise ValueError("classification predictions carry probabilities; these do not")
        diff = float(np.max(np.abs(served.probability - expected.probability)))
        mismatches = int(np.sum(served.values != expected.values))
        passed = mismatches == 0 and diff <= rules.atol
        reason = f"{mismatches} label(s) differ; max probability diff {diff:.2e}"
        return Parity(passed, "ok" if passed else reason, len(expected.values), diff, mismatches)

    def stratify(self, frame: pd.DataFrame) -> pd.Series | None:
        """The target: each class keeps its share in train and test."""
        return frame[self.target.name]


class Classification(Labels):
    """Two classes: the model scores the probability of the positive one (classes[1])."""

    name = "classification"
    summary_key = "positive_share"
    validation_settings = ClassificationValidation
    plots = (ROC_PLOT, CONFUSION_PLOT)

    def __init__(self, target: BinaryLabelTarget) -> None:
        super().__init__(target)
        self.binary = target

    @property
    def prediction_model(self) -> type[BaseModel]:
        """The label, and the probability of the positive class."""
        positive = self.binary.positive
        model: type[BaseModel] = create_model(
            "LabelPrediction",
            prediction=label_field(self.binary),
            probability=(
                float,
                Field(
                    ge=0, le=1, description=f"Probability that {self.target.name} is {positive!r}"
                ),
            ),
        )
        return model

    def summary(self, values: pd.Series) -> float:
        """The share of the positive class."""
        return float(self.truth(values).mean())

    def predict(self, model: Any, features: pd.DataFrame) -> Predictions:
        """Labels, and the probability of the positive class as the score."""
        return self.labelled(model.predict(features), model.predict_proba(features)[:, 1])

    def score(self, truth: np.ndarray, score: np.ndarray) -> dict[str, float]:
        """Ranking (ROC AUC, average precision), labels at THRESHOLD and calibration (Brier)."""
        from sklearn.metrics import (
            accuracy_score,
            average_precision_score,
            brier_score_loss,
            f1_score,
            roc_auc_score,
        )

        label = (score >= THRESHOLD).astype(int)
        return {
            "roc_auc": float(roc_auc_score(truth, score)),
            "average_precision": float(average_precision_score(truth, score)),
            "f1": float(f1_score(truth, label, zero_division=0)),
            "accuracy": float(accuracy_score(truth, label)),
            "brier_score": float(brier_score_loss(truth, score)),
        }

    def write_plots(self, truth: pd.Series, predictions: Predictions, folder: Path) -> None:
        """ROC curve and confusion-matrix data."""
        import pandas as pd
        from sklearn.metrics import roc_curve

        from {{ cookiecutter.package_name }}.core.files import write_atomically

        fpr, tpr, _ = roc_curve(self.truth(truth), predictions.score)
        roc = pd.DataFrame({"fpr": fpr.round(5), "tpr": tpr.round(5)})
        write_atomically(folder / "roc.csv", lambda tmp: roc.to_csv(tmp, index=False))
        self.confusion(truth, predictions, folder)

    def dataset_checks(self, rules: Validation | None) -> list[pa.Check]:
        """A share of the positive class within params.yaml's bounds."""
        import pandera.pandas as pa

        if rules is None:
            return []
        if not isinstance(rules, ClassificationValidation):
            raise mixed_up(rules, ClassificationValidation)
        low, high = rules.min_positive_share, rules.max_positive_share
        positive = self.binary.positive
        return [
            pa.Check(
                lambda column: low <= (column == positive).mean() <= high,
                error=f"positive_share in {low:g}..{high:g} (validation in params.yaml)",
            )
        ]

    def from_onnx(self, outputs: list[Any]) -> Predictions:
        """Labels, and the probability of the positive class from the second output."""
        return self.labelled(outputs[0], outputs[1][:, 1])

    def score_histogram(self) -> tuple[str, str, tuple[float, ...]]:
        """Ten buckets of probability, 0.1 wide."""
        buckets = tuple(step / 10 for step in range(1, 11))
        return "prediction_probability", "Predicted probability of the positive class", buckets

    @property
    def score_description(self) -> str:
        """The probability of the positive class, by the target's name."""
        return f"probability that {self.target.name} = {self.binary.positive!r}"


class Multiclass(Labels):
    """Three or more classes: the model scores a probability per class."""

    name = "multiclass"
    summary_key = "class_shares"
    validation_settings = MulticlassValidation
    plots = (CONFUSION_PLOT,)

    @property
    def prediction_model(self) -> type[BaseModel]:
        """The label, and the probability of each class keyed by its label."""
        names = [str(label) for label in self.target.classes]
        model: type[BaseModel] = create_model(
            "ClassPrediction",
            prediction=label_field(self.target),
            probabilities=(
                dict[str, float],
                Field(description=f"Probability of each class of {self.target.name}: {names}"),
            ),
        )
        return model

    def summary(self, values: pd.Series) -> dict[str, float]:
        """The share of each class."""
        counts = np.bincount(self.truth(values), minlength=len(self.target.classes))
        shares = counts / max(int(counts.sum()), 1)
        pairs = zip(self.target.classes, shares, strict=True)
        return {str(label): float(share) for label, share in pairs}

    def predict(self, model: Any, features: pd.DataFrame) -> Predictions:
        """Labels, and the probability of every class (one column per class, in code order)."""
        return self.labelled(model.predict(features), model.predict_proba(features))

    def score(self, truth: np.ndarray, score: np.ndarray) -> dict[str, float]:
        """Macro-F1 (each class counts alike), log loss (calibration), accuracy, recalls."""
        from sklearn.metrics import accuracy_score, f1_score, log_loss, recall_score

        codes = list(range(len(self.target.classes)))
        label = np.argmax(score, axis=1)
        recalls = recall_score(truth, label, labels=codes, average=None, zero_division=0)
        return {
            "macro_f1": float(
                f1_score(truth, label, labels=codes, average="macro", zero_division=0)
            ),
            # rows of float32 ONNX probabilities sum to 1 only within float32 precision
            "log_loss": float(
                log_loss(truth, score / score.sum(axis=1, keepdims=True), labels=codes)
            ),
            "accuracy": float(accuracy_score(truth, label)),
            **{
                f"recall_{metric_name(label)}": float(recall)
                for label, recall in zip(self.target.classes, recalls, strict=True)
            },
        }

    def write_plots(self, truth: pd.Series, predictions: Predictions, folder: Path) -> None:
        """Confusion-matrix data."""
        self.confusion(truth, predictions, folder)

    def dataset_checks(self, rules: Validation | None) -> list[pa.Check]:
        """Every class holds at least params.yaml's share of the rows."""
        import pandera.pandas as pa

        if rules is None:
            return []
        if not isinstance(rules, MulticlassValidation):
            raise mixed_up(rules, MulticlassValidation)
        least, classes = rules.min_class_share, list(self.target.classes)
        return [
            pa.Check(
                lambda column: (
                    column.value_counts(normalize=True).reindex(classes, fill_value=0).min()
                    >= least
                ),
                error=f"class_share>={least:g} for every class (validation in params.yaml)",
            )
        ]

    def from_onnx(self, outputs: list[Any]) -> Predictions:
        """Labels, and the probability of every class from the second output."""
        return self.labelled(outputs[0], outputs[1])

    def score_histogram(self) -> tuple[str, str, tuple[float, ...]]:
        """Ten buckets of the predicted class's probability, 0.1 wide."""
        buckets = tuple(step / 10 for step in range(1, 11))
        return "prediction_confidence", "Probability of the predicted class", buckets

    @property
    def score_description(self) -> str:
        """The predicted class, by the target's name."""
        return f"predicted {self.target.name}"


class Regression(Task):
    """A number within the target's range: the model predicts it directly."""

    name = "regression"
    summary_key = "target_mean"
    validation_settings = RegressionValidation
    export_settings = RegressionExport
    plots = (SCATTER_PLOT,)

    def __init__(self, target: NumberTarget) -> None:
        self.target = target

    @property
    def prediction_model(self) -> type[BaseModel]:
        """The predicted value."""
        return ValuePrediction

    def truth(self, values: Any) -> np.ndarray:
        """The values as floats."""
        return np.asarray(values, dtype=float)

    def summary(self, values: pd.Series) -> float:
        """The mean value."""
        return float(values.mean())

    def estimator(self, kind: ModelKind) -> BaseEstimator:
        """The kind's regressor."""
        return kind.regressor()

    def trivial_estimator(self) -> BaseEstimator:
        """Always the training mean."""
        from sklearn.dummy import DummyRegressor

        return DummyRegressor(strategy="mean")  # always the training mean

    def predict(self, model: Any, features: pd.DataFrame) -> Predictions:
        """The predicted values; the score is the value itself."""
        return Predictions(model.predict(features))

    def score(self, truth: np.ndarray, score: np.ndarray) -> dict[str, float]:
        """Errors in the target's units (RMSE, MAE) and the share of variance explained (R²)."""
        from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error

        return {
            "rmse": float(root_mean_squared_error(truth, score)),
            "mae": float(mean_absolute_error(truth, score)),
            "r2": float(r2_score(truth, score)),
        }

    def write_plots(self, truth: pd.Series, predictions: Predictions, folder: Path) -> None:
        """Actual against predicted values."""
        import pandas as pd

        from {{ cookiecutter.package_name }}.core.files import write_atomically

        table = pd.DataFrame({"actual": truth.to_numpy(), "predicted": predictions.values.round(2)})
        write_atomically(folder / "predictions.csv", lambda tmp: table.to_csv(tmp, index=False))

    def target_column(self, rules: Validation | None) -> pa.Column:
        """Within the target's range; with `rules`, at least params.yaml's spread."""
        import pandera.pandas as pa

        checks = [pa.Check.in_range(self.target.minimum, self.target.maximum)]
        if rules is not None:
            if not isinstance(rules, RegressionValidation):
                raise mixed_up(rules, RegressionValidation)
            least = rules.min_target_std
            checks.append(
                pa.Check(
                    lambda column: column.std() >= least,
                    error=f"target_std>={least:g} (validation in params.yaml)",
                )
            )
        return pa.Column("float64", checks, description=self.target.description)

    def onnx_options(self) -> dict[str, object]:
        """None needed: the regressor's one output is the value."""
        return {}

    def from_onnx(self, outputs: list[Any]) -> Predictions:
        """The values, flattened from the ONNX (n, 1) output."""
        return Predictions(values=outputs[0].ravel())

    def parity(self, expected: Predictions, served: Predictions, rules: Export) -> Parity:
        """Values within `rtol` and `atol` (float32 inference in ONNX, float64 in scikit-learn)."""
        if not isinstance(rules, RegressionExport):
            raise mixed_up(rules, RegressionExport)
        diff = float(np.max(np.abs(served.values - expected.values)))
        passed = bool(np.allclose(served.values, expected.values, rtol=rules.rtol, atol=rules.atol))
        reason = "ok" if passed else f"values differ beyond tolerance (max abs diff {diff:.3g})"
        return Parity(passed, reason, len(expected.values), diff)

    def score_histogram(self) -> tuple[str, str, tuple[float, ...]]:
        """Buckets at 1, 2.5 and 5 times the powers of ten, over three decades up to the maximum."""
        top = math.ceil(math.log10(max(self.target.maximum, 1.0)))
        buckets = [m * 10.0**e for e in range(top - 3, top) for m in (1, 2.5, 5)] + [10.0**top]
        return "prediction_value", "Predicted values", tuple(buckets)

    @property
    def score_description(self) -> str:
        """The predicted value, by the target's name."""
        return f"predicted {self.target.name}"
