"""The pull request report's data section, from the data stage's typed report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.core.records import (
    DataValidation,
    Problem,
    RecordError,
)
from {{ cookiecutter.package_name }}.ops.pr_report import data_summary


def test_a_failed_validation_lists_its_problems_with_their_lines(tmp_path: Path) -> None:
    validation = tmp_path / "data_validation.json"
    problems = [
        Problem("data/raw.csv", "tenure", "in_range(0, 120)", 2, ["line 7 = 412"]),
        Problem("data/golden.csv", "plan", "isin(['basic', 'pro'])", 1),
    ]
    DataValidation(status="failed", problems=problems).save(validation)

    summary = data_summary(validation, tmp_path / "data.json")

    assert summary.splitlines() == [
        "**Failed**: 2 problem(s) (first 10 shown).",
        "- `data/raw.csv`: column `tenure` fails in_range(0, 120) in 2 row(s): line 7 = 412",
        "- `data/golden.csv`: column `plan` fails isin(['basic', 'pro']) in 1 row(s)",
    ]


def test_a_passed_validation_gives_the_row_counts(tmp_path: Path) -> None:
    validation, data = tmp_path / "data_validation.json", tmp_path / "data.json"
    DataValidation(status="passed", problems=[]).save(validation)
    data.write_text(json.dumps({"rows": {"raw": 5000, "golden": 400}}))

    assert data_summary(validation, data) == (
        "**Passed**: the raw table and the golden set meet the contract "
        "(raw 5,000 rows, golden 400 rows)."
    )


def test_a_report_of_another_version_is_refused_with_the_fix(tmp_path: Path) -> None:
    validation = tmp_path / "data_validation.json"
    validation.write_text(json.dumps({"schema_version": 2, "status": "passed", "problems": []}))

    with pytest.raises(RecordError, match=r"schema version 2.*make repro"):
        data_summary(validation, tmp_path / "data.json")
