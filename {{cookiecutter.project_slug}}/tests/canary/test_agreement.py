"""Shadow mode's paired comparison: the two prediction logs matched by record id."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from {{ cookiecutter.package_name }}.canary.agreement import (
    Agreement,
    agreement,
    describe,
    score,
)
from {{ cookiecutter.package_name }}.core.contract import ID


def write_log(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_labels_and_scores_pair_by_id_and_failed_requests_are_left_out(tmp_path: Path) -> None:
    if ID is None:
        assert agreement(tmp_path / "a.jsonl", tmp_path / "b.jsonl") is None
        assert "no id column" in describe(None)
        return
    key = ID.name
    champion = write_log(
        tmp_path / "champion.jsonl",
        [
            {key: "A", "prediction": 1, "probability": 0.9},
            {key: "B", "prediction": 0, "probability": 0.2},
            {key: "C", "prediction": 1, "probability": 0.7},
            {key: "D", "prediction": 0, "probability": 0.1},  # the challenger never saw D
            {"error": "RuntimeError", "variant": "champion"},
        ],
    )
    challenger = write_log(
        tmp_path / "challenger.jsonl",
        [
            {key: "A", "prediction": 1, "probability": 0.8, "shadow": True},
            {key: "B", "prediction": 1, "probability": 0.6, "shadow": True},
            {key: "C", "prediction": 1, "probability": 0.7, "shadow": True},
            {key: "E", "prediction": 1, "probability": 0.7, "shadow": True},
        ],
    )

    found = agreement(champion, challenger)

    assert found is not None
    assert found.paired == 3
    assert found.labels_agree == pytest.approx(2 / 3)
    assert found.mean_score_difference == pytest.approx((0.1 + 0.4 + 0.0) / 3)
    assert found.max_score_difference == pytest.approx(0.4)
    assert describe(found).startswith("Paired agreement over 3 ids: 66.7% same label")


def test_no_log_or_no_common_id_is_said_not_counted_as_agreement(tmp_path: Path) -> None:
    found = agreement(tmp_path / "missing.jsonl", tmp_path / "missing-too.jsonl")

    if ID is not None:
        assert found == Agreement(0, None, None, None)
        assert describe(found) == "Paired agreement: no request was answered by both variants."


def test_a_score_is_the_probability_the_top_class_or_the_value() -> None:
    assert score({"prediction": "yes", "probability": 0.25}) == 0.25
    assert score({"prediction": "b", "probabilities": {"a": 0.1, "b": 0.7, "c": 0.2}}) == 0.7
    assert score({"prediction": 41.5}) == 41.5
    assert score({"prediction": True}) is None
