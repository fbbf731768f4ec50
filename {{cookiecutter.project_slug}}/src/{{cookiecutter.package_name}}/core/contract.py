"""The feature contract: the one place where the model's inputs and target are defined.

The pandera schema, the request model, the ONNX inputs, the drift report and the tests'
example rows derive from this module (each kind of feature in features.py knows its part),
so adding or changing a feature happens here and nowhere else. `make import-data` writes
this file from your own table.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from {{ cookiecutter.package_name }}.core.features import (
    BooleanFeature,
    CategoricalFeature,
    Feature,
    IdColumn,
    NumericFeature,
)
from {{ cookiecutter.package_name }}.core.targets import (
    BinaryTarget,
    MulticlassTarget,
    NumericTarget,
    Target,
)

# What the project imports from here: every kind of target, whichever TARGET is below.
__all__ = [
    "FEATURES",
    "ID",
    "TARGET",
    "BinaryTarget",
    "MulticlassTarget",
    "NumericTarget",
    "feature_names",
    "fingerprint",
]

# The column naming each row (unique; never a feature), or None when the table has none.
ID: IdColumn | None = IdColumn("customer_id", pattern=r"^[A-Z]-\d{8}$")

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

# What the model predicts. The task follows from its type: BinaryTarget (two classes, the
# second positive) is classification, MulticlassTarget (three or more) multiclass,
# NumericTarget (a number) regression; params.yaml's `validation` and `export` sections and
# the gate's metrics must be the ones of that task. Classes are written as the table has them.
TARGET: Target = {{ cookiecutter.__target }}


def feature_names() -> list[str]:
    """The features' column names, in the contract's order."""
    return [feature.name for feature in FEATURES]


def fingerprint() -> str:
    """Hash of the whole contract; the gate refuses to compare models built on different ones."""
    content = {
        "id": asdict(ID) if ID else None,
        "features": [{"kind": type(f).__name__, **asdict(f)} for f in FEATURES],
        "target": asdict(TARGET),
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
