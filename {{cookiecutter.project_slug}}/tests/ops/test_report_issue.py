"""The one labelled issue a report keeps (drift, delivery), against a stand-in of GitHub's API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from {{ cookiecutter.package_name }} import cli

from .github_stand_in import Answers, github

REPOSITORY = "acme/forecast"
ISSUES = f"/repos/{REPOSITORY}/issues"
RUN = f"https://github.com/{REPOSITORY}/actions/runs/42"
REPORT = (
    "## Drift\n\n| feature | drift |\n|---|---|\n| tenure_months | yes ([chart](tenure.png)) |\n"
)
# The issues API lists pull requests too: #6 is one that carries the label.
LABELLED = [
    {"number": 6, "title": "Tweak drift thresholds", "pull_request": {"url": "..."}},
    {"number": 5, "title": "Data drift detected", "labels": [{"name": "model-drift"}]},
]


def report_issue(
    args: list[str], answers: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[str, str, Any]]:
    """Run `report-issue` as a workflow step does; the calls GitHub received."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "drift.md").write_text(REPORT)
    for name, value in {
        "GITHUB_REPOSITORY": REPOSITORY, "GITHUB_TOKEN": "t0ken", "GITHUB_RUN_ID": "42",
        "GITHUB_SERVER_URL": "https://github.com",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    state = Answers(answers)
    with github(state=state) as (url, _):
        monkeypatch.setenv("GITHUB_API_URL", url)
        assert cli.main(["report-issue", *args, "--label", "model-drift"]) == 0
    return [(method, path.split("?")[0], body) for method, path, body in state.calls]


OPEN = ["open", "--title", "Data drift detected", "--report", "drift.md", "--footer", "Full:"]


def test_drift_opens_the_issue_with_the_report_and_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = {f"GET {ISSUES}": LABELLED[:1], f"POST {ISSUES}": {"number": 9}}

    calls = report_issue(OPEN, answers, tmp_path, monkeypatch)

    (created,) = [body for method, path, body in calls if method == "POST"]
    assert created["title"] == "Data drift detected"
    assert created["labels"] == ["model-drift"]
    assert created["body"].startswith("## Drift")
    assert "| tenure_months | yes |" in created["body"]  # the chart's file is not in the issue
    assert created["body"].endswith(f"\n\nFull: {RUN}\n")


def test_drift_again_updates_the_open_issue_not_the_pull_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = {
        f"GET {ISSUES}": LABELLED,
        f"PATCH {ISSUES}/5": {},
        f"POST {ISSUES}/5/comments": {},
    }

    calls = report_issue([*OPEN, "--comment", "Still drifting:"], answers, tmp_path, monkeypatch)

    assert [(method, path) for method, path, _ in calls[1:]] == [
        ("PATCH", f"{ISSUES}/5"),
        ("POST", f"{ISSUES}/5/comments"),
    ]
    assert calls[2][2] == {"body": f"Still drifting: {RUN}"}


def test_no_drift_closes_the_open_issue_saying_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = {f"GET {ISSUES}": LABELLED, f"PATCH {ISSUES}/5": {}, f"POST {ISSUES}/5/comments": {}}

    calls = report_issue(
        ["close", "--comment", "No drift: closing."], answers, tmp_path, monkeypatch
    )

    assert calls[1:] == [
        ("POST", f"{ISSUES}/5/comments", {"body": f"No drift: closing. {RUN}"}),
        ("PATCH", f"{ISSUES}/5", {"state": "closed", "state_reason": "completed"}),
    ]


def test_opening_without_a_report_is_a_wrong_command_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["report-issue", "open", "--label", "model-drift"]) == 2

    assert "--report" in capsys.readouterr().err
