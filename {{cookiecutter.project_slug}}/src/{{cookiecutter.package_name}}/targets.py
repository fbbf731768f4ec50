"""The kinds of target a contract can name; the kind decides the task (task.py)."""

from __future__ import annotations

from dataclasses import dataclass

from {{ cookiecutter.package_name }}.task import Classification, Regression


@dataclass(frozen=True)
class BinaryTarget:
    """A yes/no label stored as 0/1; 1 is the positive class. Makes the task classification."""

    name: str
    description: str

    @property
    def task(self) -> Classification:
        """Classification: the task a 0/1 target makes."""
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
        """Regression: the task a numeric target makes."""
        return Regression(self)


Target = BinaryTarget | NumericTarget
