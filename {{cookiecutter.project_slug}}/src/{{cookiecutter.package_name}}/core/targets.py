"""The kinds of target a contract can name; the kind decides the task (task.py).

A class label keeps the table's own form ("yes"/"no", "setosa", 0/1/2): the data files, the
API's answers and the drift batches use it. The model, the metrics and the ONNX graph use
codes instead, a label's position in `classes`; `encode` and `decode` translate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from {{ cookiecutter.package_name }}.core.task import (
    Classification,
    Label,
    Multiclass,
    Regression,
)

BOOLEAN_TEXT = {"true": "1", "false": "0"}


def encode_labels(classes: tuple[Label, ...], values: Iterable[object]) -> np.ndarray:
    """Codes (positions in `classes`) of labels in the table's form; unknown labels raise.

    Integer classes also accept whole floats, numeric text and booleans (a CSV or JSON may
    hold 1.0, "1" or True); text classes compare as text. A missing value is unknown: drop
    those rows first.
    """
    position = {str(label): code for code, label in enumerate(classes)}
    numeric = all(isinstance(label, int) for label in classes)
    array = np.asarray(values if isinstance(values, np.ndarray) else list(values), dtype=object)
    distinct, inverse = np.unique(array.astype(str), return_inverse=True)
    found = [position.get(whole(key) if numeric else key, -1) for key in distinct]
    codes = np.asarray(found, dtype=np.int64)[inverse.ravel()]
    if (codes < 0).any():
        unknown = [repr(str(key)) for key, code in zip(distinct, found, strict=True) if code < 0]
        raise ValueError(
            f"{int((codes < 0).sum())} label(s) not among the classes {list(classes)!r}: "
            f"{', '.join(unknown[:5])}"
        )
    return codes


def whole(text: str) -> str:
    """A whole number as "1" (written 1.0 or " 1"), a boolean as "1" or "0"; other text as is.

    A True/False column imports as the classes 0 and 1, and its batches still write it
    True/False.
    """
    flag = BOOLEAN_TEXT.get(text.strip().lower())
    if flag is not None:
        return flag
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def decode_labels(classes: tuple[Label, ...], codes: Iterable[object]) -> list[Label]:
    """The table's labels of codes (positions in `classes`)."""
    return [classes[int(code)] for code in codes]  # type: ignore[call-overload]


@dataclass(frozen=True)
class BinaryTarget:
    """A yes/no label: `classes` is (negative, positive) as the table writes them.

    Makes the task classification; the model scores the probability of the positive class.
    """

    name: str
    description: str
    classes: tuple[Label, Label] = (0, 1)

    @property
    def positive(self) -> Label:
        """The class whose probability the model scores."""
        return self.classes[1]

    @property
    def task(self) -> Classification:
        """Classification: the task a two-class target makes."""
        return Classification(self)

    def encode(self, values: Iterable[object]) -> np.ndarray:
        """0 for the negative class, 1 for the positive one; unknown labels raise ValueError."""
        return encode_labels(self.classes, values)

    def decode(self, codes: Iterable[object]) -> list[Label]:
        """The table's labels of 0/1 codes."""
        return decode_labels(self.classes, codes)


@dataclass(frozen=True)
class MulticlassTarget:
    """One of three or more classes, as the table writes them. Makes the task multiclass."""

    name: str
    description: str
    classes: tuple[Label, ...]

    @property
    def task(self) -> Multiclass:
        """Multiclass: the task a target of three or more classes makes."""
        return Multiclass(self)

    def encode(self, values: Iterable[object]) -> np.ndarray:
        """Each label's position in `classes`; unknown labels raise ValueError."""
        return encode_labels(self.classes, values)

    def decode(self, codes: Iterable[object]) -> list[Label]:
        """The table's labels of codes."""
        return decode_labels(self.classes, codes)


@dataclass(frozen=True)
class NumericTarget:
    """A number the model predicts, with its plausible range. Makes the task regression."""

    name: str
    description: str
    minimum: float
    maximum: float

    @property
    def task(self) -> Regression:
        """Regression: the task a numeric target makes."""
        return Regression(self)


Target = BinaryTarget | MulticlassTarget | NumericTarget
