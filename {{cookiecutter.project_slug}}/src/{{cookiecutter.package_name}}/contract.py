"""The feature contract: the one place where the model's inputs and target are defined.

The pandera schema, the training columns and the golden-set checks derive from this
module, so adding or changing a feature happens here and nowhere else.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Literal

from {{ cookiecutter.package_name }}.task import Classification, Regression


@dataclass(frozen=True)
class NumericFeature:
    name: str
    dtype: Literal["int", "float"]
    minimum: float
    maximum: float
    description: str
    max_null_share: float = 0.0


@dataclass(frozen=True)
class CategoricalFeature:
    name: str
    categories: tuple[str, ...]
    description: str
    max_null_share: float = 0.0


@dataclass(frozen=True)
class BooleanFeature:
    name: str
    description: str
    max_null_share: float = 0.0


Feature = NumericFeature | CategoricalFeature | BooleanFeature


@dataclass(frozen=True)
class BinaryTarget:
    """A yes/no label stored as 0/1; 1 is the positive class. Makes the task classification."""

    name: str
    description: str

    @property
    def task(self) -> Classification:
        return Classification(self)


@dataclass(frozen=True)
class NumericTarget:
    """A number the model predicts, with its plausible range. Makes the task regression."""

    name: str
    description: str
    minimum: float
    maximum: float

    @property
    def task(self) -> Regression:
        return Regression(self)


Target = BinaryTarget | NumericTarget


ID_COLUMN = "customer_id"
ID_PATTERN = r"^[A-Z]-\d{8}$"

FEATURES: tuple[Feature, ...] = (
    NumericFeature("tenure_months", "int", 0, 72, "Months the customer has been with us"),
    NumericFeature("age", "int", 18, 100, "Customer age in years"),
    NumericFeature(
        "monthly_charges",
        "float",
        0.0,
        250.0,
        "Current monthly bill; may be missing when billing lags",
        max_null_share=0.02,
    ),
    NumericFeature("support_calls", "int", 0, 30, "Support calls in the last 90 days"),
    CategoricalFeature("contract", ("month-to-month", "one-year", "two-year"), "Contract length"),
    CategoricalFeature("internet_service", ("dsl", "fiber", "none"), "Internet product"),
    CategoricalFeature(
        "payment_method",
        ("electronic-check", "mailed-check", "bank-transfer", "credit-card"),
        "How the customer pays",
    ),
    BooleanFeature("senior_citizen", "Customer is 65 or older"),
    BooleanFeature("paperless_billing", "Customer receives bills by email only"),
)

# What the model predicts. The task follows from its type: BinaryTarget (a 0/1 label) is
# classification, NumericTarget (a number) is regression; params.yaml's `validation` and
# `export` sections and the gate's metrics must be the ones of that task.
TARGET: Target = {{ cookiecutter.__target }}


def feature_names() -> list[str]:
    return [feature.name for feature in FEATURES]


def numeric_features() -> list[NumericFeature]:
    return [f for f in FEATURES if isinstance(f, NumericFeature)]


def categorical_features() -> list[CategoricalFeature]:
    return [f for f in FEATURES if isinstance(f, CategoricalFeature)]


def boolean_features() -> list[BooleanFeature]:
    return [f for f in FEATURES if isinstance(f, BooleanFeature)]


def fingerprint() -> str:
    """Hash of the whole contract; the gate refuses to compare models built on different ones."""
    content = {
        "id": [ID_COLUMN, ID_PATTERN],
        "features": [{"kind": type(f).__name__, **asdict(f)} for f in FEATURES],
        "target": asdict(TARGET),
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
