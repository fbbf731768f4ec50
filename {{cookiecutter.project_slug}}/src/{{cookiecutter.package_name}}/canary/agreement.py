"""Shadow mode, request by request: the challenger's answer beside the champion's.

In shadow mode both variants score the same requests, and each logs what it scored (the
prediction log). A mirrored copy carries the same record id as the request the champion
answered, so the two logs pair by id: how often the labels agree, and how far the scores
move. This is sharper than comparing the two score histograms (judge.py): a model that swaps
half its answers can keep the same histogram. Without an id column in the contract the rows
cannot be paired, and the report says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }}.core.contract import ID


@dataclass(frozen=True)
class Agreement:
    """Ids both variants answered: the share with the same label, and the score differences."""

    paired: int
    labels_agree: float | None
    mean_score_difference: float | None  # |challenger - champion|, averaged over pairs
    max_score_difference: float | None


def score(row: dict[str, Any]) -> float | None:
    """The row's score: the positive class's probability, the top class's, or the value."""
    if isinstance(row.get("probability"), int | float):
        return float(row["probability"])
    if isinstance(row.get("probabilities"), dict) and row["probabilities"]:
        return float(max(row["probabilities"].values()))
    value = row.get("prediction")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def answers(log: Path, key: str) -> dict[str, dict[str, Any]]:
    """The last answer to each id in a prediction log (failed requests have none)."""
    found: dict[str, dict[str, Any]] = {}
    if not log.is_file():
        return found
    for line in log.read_text().splitlines():
        row = json.loads(line)
        if row.get(key) is not None and "error" not in row:
            found[str(row[key])] = row
    return found


def agreement(champion_log: Path, challenger_log: Path) -> Agreement | None:
    """Pair the two logs by record id; None when the contract has no id column."""
    if ID is None:
        return None
    champion, challenger = answers(champion_log, ID.name), answers(challenger_log, ID.name)
    pairs = [(champion[key], challenger[key]) for key in champion.keys() & challenger.keys()]
    if not pairs:
        return Agreement(0, None, None, None)
    same = sum(str(a.get("prediction")) == str(b.get("prediction")) for a, b in pairs)
    scores = [(score(a), score(b)) for a, b in pairs]
    differences = [abs(b - a) for a, b in scores if a is not None and b is not None]
    return Agreement(
        paired=len(pairs),
        labels_agree=same / len(pairs),
        mean_score_difference=sum(differences) / len(differences) if differences else None,
        max_score_difference=max(differences) if differences else None,
    )


def describe(found: Agreement | None) -> str:
    """One sentence for the report."""
    if found is None:
        return "Paired agreement: the contract has no id column, so the logs cannot be paired."
    if not found.paired or found.labels_agree is None:
        return "Paired agreement: no request was answered by both variants."
    text = f"Paired agreement over {found.paired:,} ids: {found.labels_agree:.1%} same label"
    if found.mean_score_difference is not None and found.max_score_difference is not None:
        text += (
            f", scores differ by {found.mean_score_difference:.4f} on average "
            f"(at most {found.max_score_difference:.4f})"
        )
    return text + "."
