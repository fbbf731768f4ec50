"""The feature contract, read from contract.yaml beside this module: the model's inputs and target.

contract.yaml is the one place where features are defined; the pandera schema, the request
model, the ONNX inputs, the drift report and the tests' example rows derive from what this
module exposes (each kind of feature in features.py knows its part). The file is validated
when this module is imported (contract_file.py): a wrong entry stops every command with the
field and the fix. `make import-data` rewrites the file from your own table.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

from {{ cookiecutter.package_name }}.core.contract_file import read
from {{ cookiecutter.package_name }}.core.features import Feature, IdColumn
from {{ cookiecutter.package_name }}.core.targets import (
    BinaryTarget,
    MulticlassTarget,
    NumericTarget,
    Target,
)

# What the project imports from here: every kind of target, whichever TARGET the file names.
__all__ = [
    "CONTRACT_FILE",
    "FEATURES",
    "ID",
    "TARGET",
    "BinaryTarget",
    "MulticlassTarget",
    "NumericTarget",
    "feature_names",
    "fingerprint",
]

CONTRACT_FILE = Path(__file__).with_name("contract.yaml")

ID: IdColumn | None
FEATURES: tuple[Feature, ...]
TARGET: Target  # its kind makes the task: binary, multiclass or numeric (regression)
ID, FEATURES, TARGET = read(CONTRACT_FILE)


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
