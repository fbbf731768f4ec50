"""The manifest beside a scored output: what a run read, wrote and scored with.

The same from every engine, so a nightly job reads one format: per input file its path,
sha256 and rows; rows read, scored and quarantined; the output's and the quarantine's
sha256; the model; the contract's hash; the engine and the seconds taken.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from {{ cookiecutter.package_name }}.batch.inputs import Part
from {{ cookiecutter.package_name }}.batch.parts import Counts, Outputs
from {{ cookiecutter.package_name }}.core.contract import fingerprint
from {{ cookiecutter.package_name }}.core.files import sha256_of


def total(counts: list[Counts]) -> Counts:
    """The counts of several parts added up."""
    return Counts(
        sum(c.rows for c in counts),
        sum(c.scored for c in counts),
        sum(c.quarantined for c in counts),
    )


def manifest(
    outputs: Outputs,
    descriptions: list[Part],
    counts: list[Counts],
    model: dict[str, str],
    seconds: float,
    *,
    resumed: bool = False,
    engine: str = "local",
) -> dict[str, Any]:
    """The manifest's content, once the output and the quarantine are in place."""
    files = [
        {"path": d.name, "sha256": d.sha256, "rows": c.rows}
        for d, c in zip(descriptions, counts, strict=True)
    ]
    rows = total(counts)
    return {
        "inputs": files,
        "rows": {"input": rows.rows, "scored": rows.scored, "quarantined": rows.quarantined},
        "output": {"path": str(outputs.scored), "sha256": sha256_of(outputs.scored)},
        "quarantine": {"path": str(outputs.quarantine), "sha256": sha256_of(outputs.quarantine)},
        "model": model,
        "contract_sha256": fingerprint(),
        "engine": engine,
        "seconds": round(seconds, 3),
        "resumed": resumed,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
