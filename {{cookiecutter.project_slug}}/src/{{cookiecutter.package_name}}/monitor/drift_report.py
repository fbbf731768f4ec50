"""What a drift check found: the data drift.json holds and drift.md and drift.html render.

Its own module so that the command (drift.py) and the renderers (report_md.py, report_html.py)
import it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from {{ cookiecutter.package_name }}.monitor.batch import Outside
    from {{ cookiecutter.package_name }}.monitor.measures import (
        FeatureDrift,
        PredictionDrift,
    )
    from {{ cookiecutter.package_name }}.monitor.performance import Performance

Status = Literal["no_drift", "drift", "insufficient_data"]


@dataclass(frozen=True)
class Source:
    """A compared file, identified by its content."""

    path: str
    rows: int
    sha256: str


@dataclass(frozen=True)
class DriftConclusion:
    """The verdict on a batch and the reasons for it."""

    status: Status
    reasons: list[str]  # why the status is drift, most important first
    dataset_drift: bool
    drifted_features: list[str]
    drifted_share: float  # of the features with enough rows to judge


@dataclass(frozen=True)
class DriftReport(DriftConclusion):
    """Everything drift.json holds, and the markdown and HTML reports show."""

    thresholds: dict[str, float]
    features: list[FeatureDrift]
    prediction: PredictionDrift
    performance: Performance | None
    outside_contract: list[Outside]  # values the contract refuses, per column and check
    notes: list[str]
    reference: Source
    current: Source
    model: dict[str, str]
    generated_at: str
