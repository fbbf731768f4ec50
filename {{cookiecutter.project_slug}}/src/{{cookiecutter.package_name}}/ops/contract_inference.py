"""Infer a feature contract from a table: the entries `make import-data` writes to contract.yaml.

Rules, each stated in the written file's header too:
- a column of booleans, or of the text true/false, is a BooleanFeature;
- a column of numbers is a NumericFeature: "int" when every value is whole, else "float".
  Its range is the observed minimum and maximum. An end held by at least EDGE_SHARE of the
  values (and EDGE_ROWS rows) is a boundary of the domain and is kept as it is (hour 0-23,
  month 1-12, a score's 0 and 100); a rarer end is a tail, widened by RANGE_MARGIN of the
  span (of the logarithms, when every value is positive: a factor, for long right tails),
  rounded outwards (to whole numbers for "int"), and never past 0 when no value is on the
  other side of it;
- a column of text with at most MAX_CATEGORIES distinct values (`--max-categories`) is a
  CategoricalFeature;
- a feature may be missing in its observed share of rows plus NULL_SIGMAS standard errors
  of that share (a share measured on fewer rows is less certain) plus NULL_MARGIN
  (none observed: never missing);
- the target is a class label when it holds text, booleans, or whole numbers with at most
  MAX_INTEGER_CLASSES distinct values: a BinaryTarget with two classes (the positive one is
  True, the larger number, or the rarer text), a MulticlassTarget with three to MAX_CLASSES.
  Classes keep the table's own form ("yes"/"no", 0/1/2); each needs MIN_CLASS_ROWS rows.
  Any other numbers make a NumericTarget, its range as a feature's. `TASK=` (binary,
  multiclass or regression) overrides the inference, within what the values allow.

A column that is entirely empty, holds a single value, or is text with too many values to
be categories is refused by name, with advice that fits what it holds (advice.py); every
such column is named in the same refusal.
"""

from __future__ import annotations

import math
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }}.core.features import (
    BooleanFeature,
    CategoricalFeature,
    Feature,
    NumericFeature,
)
from {{ cookiecutter.package_name }}.core.targets import (
    BinaryTarget,
    MulticlassTarget,
    NumericTarget,
    Target,
)
from {{ cookiecutter.package_name }}.core.task import Label, Task
from {{ cookiecutter.package_name }}.ops import advice

RANGE_MARGIN = 0.5  # of the observed span, beyond a tail: a small table has not seen its extremes
EDGE_SHARE = 0.01  # an end value this common is a boundary of the domain, not a tail
EDGE_ROWS = 5
NULL_MARGIN = 0.02
NULL_SIGMAS = 4
MAX_CATEGORIES = 50
MAX_CLASSES = 50  # a target with more distinct texts is refused
MAX_INTEGER_CLASSES = 10  # whole numbers with more distinct values are a quantity (regression)
MIN_CLASS_ROWS = 10  # rows each class needs: the golden set and the test split hold some of each
TASKS = ("binary", "multiclass", "regression")  # what TASK= may say
TRUE_FALSE = {"true": True, "false": False}


class TableRefusedError(ValueError):
    """The table cannot become a contract; one line per problem, each naming its fix."""

    def __init__(self, *problems: str) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Declaration:
    """One feature or target of the contract, as inferred, and what the table showed of it."""

    declared: Feature | Target
    note: str = ""

    @property
    def name(self) -> str:
        """The column's name."""
        return self.declared.name

    @property
    def kind(self) -> str:
        """The class: NumericFeature, CategoricalFeature, BinaryTarget, ..."""
        return type(self.declared).__name__

    @property
    def classes(self) -> tuple[Label, ...]:
        """A class label's classes, in code order; () for anything else."""
        return getattr(self.declared, "classes", ())


@dataclass
class Inferred:
    """A contract inferred from a table: the features, the target and the task."""

    features: list[Declaration]
    target: Declaration
    task: str  # "classification" (binary), "multiclass" or "regression"
    labels: dict[object, int] = field(default_factory=dict)  # boolean labels -> 0/1

    def feature_objects(self) -> list[Feature]:
        """The features, as the contract declares them."""
        return [
            feature.declared
            for feature in self.features
            if not isinstance(feature.declared, BinaryTarget | MulticlassTarget | NumericTarget)
        ]

    def target_object(self) -> Target:
        """The target, as the contract declares it."""
        declared = self.target.declared
        if not isinstance(declared, BinaryTarget | MulticlassTarget | NumericTarget):
            raise TypeError(f"{self.target.name!r} is declared as a feature, not the target")
        return declared

    def task_object(self) -> Task:
        """The target's task: its defaults (export, plots) and behaviour (task.py)."""
        return self.target_object().task


def outward(
    low: float, high: float, integer: bool, ends: tuple[bool, bool] = (True, True)
) -> tuple[float, float]:
    """[low, high] widened by RANGE_MARGIN of its span and rounded outwards (3 digits).

    `ends`: whether to widen the lower and the upper end; neither crosses 0.
    """
    margin = RANGE_MARGIN * (high - low)
    lower, upper = low - margin * ends[0], high + margin * ends[1]
    if low >= 0:
        lower = max(lower, 0.0)
    if high <= 0:
        upper = min(upper, 0.0)
    return rounded_out(lower, upper, integer)


def rounded_out(lower: float, upper: float, integer: bool) -> tuple[float, float]:
    """Bounds rounded outwards: to whole numbers, or to 3 significant digits of the span."""
    if integer:
        return float(math.floor(lower)), float(math.ceil(upper))
    step = 10.0 ** (math.floor(math.log10(max(upper - lower, 1e-12))) - 2)
    return math.floor(lower / step) * step, math.ceil(upper / step) * step


def number(value: float, integer: bool) -> float:
    """A bound for the contract: an int when `integer` (0, not 0.0), else 6 significant digits."""
    if integer:
        return int(value)
    return float(f"{value:.6g}")


def null_share(values: pd.Series) -> float:
    """The share a feature may be missing in, rounded up to a percent.

    0 when none is missing, else the observed share, NULL_SIGMAS standard errors of it and
    NULL_MARGIN: batches from the same source pass, whatever the table's size.
    """
    observed = float(values.isna().mean())
    if observed == 0:
        return 0.0
    error = math.sqrt(observed * (1 - observed) / len(values))
    return min(1.0, math.ceil((observed + NULL_SIGMAS * error + NULL_MARGIN) * 100) / 100)


def is_edge(numbers: pd.Series, value: float) -> bool:
    """Whether `value` (the minimum or maximum) is common enough to be the domain's bound."""
    held = int((numbers == value).sum())
    return held >= EDGE_ROWS and held >= EDGE_SHARE * len(numbers)


def learned_range(numbers: pd.Series, integer: bool) -> tuple[float, float]:
    """The observed range, each end widened unless it is a boundary of the domain (is_edge).

    Positive numbers are widened on a log scale: their tails are long on the right (sizes,
    amounts, durations), and a factor keeps them positive.
    """
    low, high = float(numbers.min()), float(numbers.max())
    ends = (not is_edge(numbers, low), not is_edge(numbers, high))
    if low <= 0:
        return outward(low, high, integer, ends)
    factor = math.exp(RANGE_MARGIN * math.log(high / low))
    lower, upper = low / factor if ends[0] else low, high * factor if ends[1] else high
    return rounded_out(lower, upper, integer)


def as_booleans(values: pd.Series) -> pd.Series | None:
    """The column as booleans if it is one (bool dtype, or only true/false text), else None."""
    present = values.dropna()
    if pd.api.types.is_bool_dtype(values):
        return values
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        lowered = present.astype(str).str.strip().str.lower()
        if len(lowered) and set(lowered) <= set(TRUE_FALSE):
            return values.map(lambda v: v if pd.isna(v) else TRUE_FALSE[str(v).strip().lower()])
    return None


def plain(value: object) -> object:
    """A value as Python writes it: 0.0, not numpy's np.float64(0.0)."""
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def refuse_unusable(name: str, values: pd.Series, what: str) -> pd.Series:
    """The non-missing values; refuses an empty or constant column by name."""
    present = values.dropna()
    if present.empty:
        raise TableRefusedError(
            f"{what} {name!r} is empty in every row: leave it out ({advice.drop(name)})"
        )
    if present.nunique() == 1:
        raise TableRefusedError(
            f"{what} {name!r} holds one value only ({plain(present.iloc[0])!r}): it cannot "
            f"inform a model; leave it out ({advice.drop(name)})"
        )
    return present


def describe(values: pd.Series, low: float, high: float) -> str:
    """The observed range and missing share, for the comment beside a declaration."""
    missing = values.isna().mean()
    seen = f"observed {low:.6g} to {high:.6g}"
    return seen + (f", {missing:.1%} missing" if missing else "")


def infer_feature(name: str, values: pd.Series, max_categories: int) -> Declaration:
    """The feature's declaration: boolean, numeric or categorical, by its values."""
    present = refuse_unusable(name, values, "column")
    share = null_share(values)
    if advice.holds_dates(values):
        raise TableRefusedError(advice.dates(name, f"{present.min()} to {present.max()}"))
    flags = as_booleans(values)
    if flags is not None:
        note = f"{values.isna().mean():.1%} missing" if share else "never missing"
        return Declaration(BooleanFeature(name, note, share), note)
    if pd.api.types.is_numeric_dtype(values):
        numbers = present.astype(float)
        integer = bool(np.all(numbers == np.round(numbers)))
        low, high = float(numbers.min()), float(numbers.max())
        lower, upper = learned_range(numbers, integer)
        note = describe(values, low, high)
        dtype: Literal["int", "float"] = "int" if integer else "float"
        bounds = number(lower, integer), number(upper, integer)
        return Declaration(NumericFeature(name, dtype, *bounds, note, share), note)
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        categories = sorted(present.astype(str).unique())
        if len(categories) > max_categories:
            raise TableRefusedError(advice.too_many_texts(name, present, max_categories))
        missing = values.isna().mean()
        note = f"{len(categories)} categories" + (f", {missing:.1%} missing" if missing else "")
        return Declaration(CategoricalFeature(name, tuple(categories), note, share), note)
    raise TableRefusedError(
        f"column {name!r} has type {values.dtype}, which is neither numbers, text nor "
        f"booleans: convert it or leave it out ({advice.drop(name)})"
    )


def class_labels(values: pd.Series) -> list[Label] | None:
    """The distinct labels if the column is a class label (text, or few whole numbers), else None.

    Whole numbers come back as ints, text as text; the order is the sorted one.
    """
    present = values.dropna()
    if pd.api.types.is_numeric_dtype(values):
        numbers = present.astype(float)
        if not np.all(numbers == np.round(numbers)):
            return None
        whole: list[Label] = sorted({int(number) for number in numbers})
        return whole
    texts: list[Label] = sorted({str(value) for value in present})
    return texts


def numeric_target(name: str, values: pd.Series) -> Declaration:
    """A NumericTarget: the observed range widened as a feature's."""
    numbers = values.dropna().astype(float)
    low, high = float(numbers.min()), float(numbers.max())
    lower, upper = outward(low, high, integer=False)
    note = describe(values, low, high)
    target = NumericTarget(name, note, number(lower, False), number(upper, False))
    return Declaration(target, note)


def class_target(
    name: str, values: pd.Series, classes: list[Label], task: str | None
) -> Declaration:
    """A BinaryTarget (two classes, the positive one last) or a MulticlassTarget."""
    as_label = int if isinstance(classes[0], int) else str
    counts = Counter(as_label(value) for value in values.dropna())
    rare = [label for label in classes if counts.get(label, 0) < MIN_CLASS_ROWS]
    if rare:
        shown = ", ".join(f"{label!r} ({counts.get(label, 0)} rows)" for label in rare[:5])
        raise TableRefusedError(
            f"target {name!r}: class {shown} has fewer than {MIN_CLASS_ROWS} rows, too few to "
            "train on and to hold out for the golden set: drop those rows or merge the class "
            "into another"
        )
    if len(classes) == 2:
        if task == "multiclass":
            raise TableRefusedError(
                f"target {name!r} holds two classes {classes!r}: that is TASK=binary"
            )
        if isinstance(classes[0], str):  # the rarer text is the positive class
            classes = sorted(classes, key=lambda label: (-counts[label], str(label) == classes[-1]))
        share = counts[classes[1]] / counts.total()
        note = f"positive class {classes[1]!r} ({share:.1%} of rows)"
        return Declaration(BinaryTarget(name, note, (classes[0], classes[1])), note)
    if task == "binary":
        raise TableRefusedError(
            f"target {name!r} holds {len(classes)} classes, not two: leave TASK out, or pass "
            "TASK=multiclass"
        )
    note = f"{len(classes)} classes"
    return Declaration(MulticlassTarget(name, note, tuple(classes)), note)


def infer_target(
    name: str, values: pd.Series, task: str | None = None
) -> tuple[Declaration, str, dict[object, int]]:
    """The target's declaration, its task, and how boolean labels map to 0/1.

    `task` (TASK=: binary, multiclass or regression) overrides the inference.
    """
    present = values.dropna()
    if present.nunique() < 2:
        shown = repr(present.iloc[0]) if len(present) else "nothing"
        raise TableRefusedError(
            f"target {name!r} holds one class only ({shown}): a model needs at least two"
        )
    if task is not None and task not in TASKS:
        raise TableRefusedError(f"TASK={task!r} is not one of {', '.join(TASKS)}")
    flags = as_booleans(values)
    if flags is not None:
        if task in ("regression", "multiclass"):
            raise TableRefusedError(f"target {name!r} holds true/false: that is TASK=binary")
        note = f"positive class 1 ({name} is true, {flags.dropna().mean():.1%} of rows)"
        declared = Declaration(BinaryTarget(name, note), note)
        return declared, "classification", {True: 1, False: 0}
    numeric = pd.api.types.is_numeric_dtype(values)
    classes = class_labels(values)
    if task == "regression" or (
        task is None and numeric and classes is not None and len(classes) > MAX_INTEGER_CLASSES
    ):
        if not numeric:
            raise TableRefusedError(
                f"target {name!r} holds text: regression needs numbers (leave TASK out to "
                "predict its classes)"
            )
        return numeric_target(name, values), "regression", {}
    if classes is None:
        if task is not None:
            raise TableRefusedError(
                f"target {name!r} holds fractional numbers: they cannot be classes (TASK={task} "
                "needs text or whole numbers); leave TASK out for regression"
            )
        return numeric_target(name, values), "regression", {}
    if len(classes) > MAX_CLASSES:
        raise TableRefusedError(
            f"target {name!r} holds {len(classes)} different values, more than {MAX_CLASSES} "
            "classes: group them, or pick another target"
        )
    declared = class_target(name, values, classes, task)
    return declared, "classification" if declared.kind == "BinaryTarget" else "multiclass", {}


def infer(
    frame: pd.DataFrame,
    target: str,
    id_column: str | None,
    *,
    task: str | None = None,
    max_categories: int = MAX_CATEGORIES,
) -> Inferred:
    """Declarations for every column but the id; refuses, naming every column it cannot hold.

    `task` (TASK=: binary, multiclass or regression) overrides the target's inference.
    """
    problems: list[str] = []
    try:
        declared, inferred_task, labels = infer_target(target, frame[target], task)
    except TableRefusedError as error:
        problems += error.problems
    others = [name for name in frame.columns if name not in {target, id_column}]
    features = []
    for name in others:
        try:
            features.append(infer_feature(name, frame[name], max_categories))
        except TableRefusedError as error:
            problems += error.problems
    if not others:
        problems.append(f"the table has no column besides {target!r}: nothing to learn from")
    if problems:
        raise TableRefusedError(*problems)
    return Inferred(features, declared, inferred_task, labels)


def header(source: str, rows: int) -> str:
    """The comment atop the contract.yaml an import writes: where it came from, by which rules."""
    text = (
        f"The feature contract, written by `make import-data` from {source} ({rows:,} rows "
        "with a target): review it, and edit it by hand like any configuration. Numeric "
        "ranges are the observed minimum and maximum; an end seen in few rows (a tail) is "
        f"widened by {RANGE_MARGIN:.0%} of the distance between them (of their logarithms "
        "when both are positive; never across 0), an end seen in many rows (a boundary, such "
        "as hour 0 or 23) is kept. Categories are the values seen; a feature may be missing "
        f"in its observed share of rows, plus {NULL_SIGMAS} standard errors of that share "
        f"and {NULL_MARGIN:.0%}. Each description says what the table showed."
    )
    return "".join(f"# {line}\n" for line in textwrap.wrap(text, 88))
