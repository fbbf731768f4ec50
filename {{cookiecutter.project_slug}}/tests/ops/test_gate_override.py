"""Who may override the gate: ci.yml's override job against GitHub's API (a stand-in on loopback).

Pull request and merge-queue payloads are shaped like GitHub's webhooks; the API answers who
applied the label, with which access, and when the head commit's first CI run started.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from {{ cookiecutter.package_name }} import cli
from {{ cookiecutter.package_name }}.core.github import GitHub
from {{ cookiecutter.package_name }}.ops.gate_override import Verdict, decide

from .github_stand_in import Answers, github

REPOSITORY = "acme/forecast"
REPO = f"/repos/{REPOSITORY}"
REASON = "the golden set was relabelled (#41); new baseline in this change"
HEAD_SHA = "4" * 40
PUSHED = "2026-12-01T10:00:00Z"  # the first CI run of the pull request's head commit
THIS_RUN = 1658821493


def pull_request(
    action: str = "labeled",
    *,
    labels: tuple[str, ...] = ("gate-override",),
    body: str = f"Re-baseline.\n\nGate-Override-Reason: {REASON}\n",
    head_repo: str = REPOSITORY,
    author: str = "alice",
) -> dict[str, Any]:
    """A `pull_request` webhook payload, with the fields GitHub sends that the check reads."""
    pr = {
        "number": 7,
        "body": body,
        "labels": [{"name": name} for name in labels],
        "user": {"login": author},
        "head": {"ref": "rebaseline", "sha": HEAD_SHA, "repo": {"full_name": head_repo}},
        "base": {"ref": "main", "repo": {"full_name": REPOSITORY}},
    }
    return {"action": action, "number": 7, "pull_request": pr, "sender": {"login": "bob"}}


def workflow_run(run_id: int, created_at: str) -> dict[str, Any]:
    """A run as GitHub's "List workflow runs for a repository" returns it."""
    return {"id": run_id, "event": "pull_request", "head_sha": HEAD_SHA, "created_at": created_at}


def labelled_by(
    *actors: str, permission: str = "write", at: str = "2026-12-01T10:30:00Z"
) -> dict[str, Any]:
    """The label's history (the last actor applied it last, at `at`), access and CI runs."""
    label = {"name": "gate-override"}
    events = [
        {"event": "labeled", "label": label, "actor": {"login": a}, "created_at": at}
        for a in actors
    ]
    return {
        f"GET {REPO}/issues/7/events": [{"event": "committed"}, *events],
        f"GET {REPO}/collaborators/{actors[-1]}/permission": {"permission": permission},
        f"DELETE {REPO}/issues/7/labels/gate-override": [],
        f"GET {REPO}/actions/runs": {"total_count": 1, "workflow_runs": [workflow_run(1, PUSHED)]},
    }


def check(payload: dict[str, Any], answers: dict[str, Any]) -> tuple[Verdict, list[str]]:
    """The verdict, and the calls made (method and path)."""
    state = Answers(answers)
    with github(state=state) as (url, _):
        verdict = decide(payload, GitHub(url, "t0ken"), REPOSITORY, THIS_RUN)
    return verdict, [f"{method} {path}" for method, path, _ in state.calls]


def test_a_maintainer_label_with_a_reason_grants_the_override() -> None:
    verdict, calls = check(pull_request(), labelled_by("carol", "bob"))

    assert verdict == Verdict(REASON, "@bob")
    assert f"GET {REPO}/collaborators/bob/permission" in calls  # who applied it last


@pytest.mark.parametrize(("payload", "answers", "refusal"), [
    (pull_request(), labelled_by("mallory", permission="read"),
     "@mallory applied the gate-override label with read access"),
    (pull_request(head_repo="mallory/forecast"), {}, "from a fork cannot be overridden"),
    (pull_request(author="dependabot[bot]"), {}, "a Dependabot pull request cannot be overridden"),
    (pull_request(body="trust me"), labelled_by("bob"), 'a line "Gate-Override-Reason: <why>"'),
    (pull_request(), {**labelled_by("bob"), f"GET {REPO}/issues/7/events": []},
     "no record of who applied the gate-override label"),
])  # fmt: skip
def test_an_override_is_refused_saying_why(
    payload: dict[str, Any], answers: dict[str, Any], refusal: str
) -> None:
    verdict, _ = check(payload, answers)

    assert (verdict.reason, verdict.by) == ("", "")
    assert refusal in verdict.refused


@pytest.mark.parametrize("action", ["synchronize", "reopened"])
def test_new_commits_withdraw_the_label(action: str) -> None:
    verdict, calls = check(pull_request(action), labelled_by("bob"))

    assert verdict.reason == ""
    assert "apply it again" in verdict.refused
    assert calls == [f"DELETE {REPO}/issues/7/labels/gate-override"]


def test_a_label_applied_before_the_last_push_is_removed_not_granted() -> None:
    """Labelled, then pushed: another label event 3 s after the push cancelled the push's run."""
    answers = labelled_by("bob", at="2026-12-01T09:00:00Z")
    runs = [workflow_run(1, PUSHED), workflow_run(THIS_RUN, "2026-12-01T10:00:03Z")]
    answers[f"GET {REPO}/actions/runs"] = {"total_count": 2, "workflow_runs": runs}
    payload = pull_request()
    payload["label"] = {"name": "needs-review"}

    verdict, calls = check(payload, answers)

    assert "applied before the last push (4444444), so it was removed" in verdict.refused
    assert f"DELETE {REPO}/issues/7/labels/gate-override" in calls


def test_a_label_applied_after_the_push_counts_even_if_this_is_the_first_run() -> None:
    """A push whose own run never started (`[skip ci]`): only this run, which is not the push."""
    answers = labelled_by("bob", at="2026-12-01T10:30:00Z")
    answers[f"GET {REPO}/actions/runs"] = {
        "total_count": 1, "workflow_runs": [workflow_run(THIS_RUN, PUSHED)]
    }  # fmt: skip

    assert check(pull_request(), answers)[0].reason == REASON


def test_without_the_label_nothing_is_asked() -> None:
    assert check(pull_request("opened", labels=("bug",)), {}) == (Verdict(), [])


def test_the_merge_queue_keeps_the_override_of_its_pull_request() -> None:
    pr = pull_request()["pull_request"]
    payload = {
        "action": "checks_requested",
        "merge_group": {"head_ref": f"refs/heads/gh-readonly-queue/main/pr-7-{'2' * 40}"},
    }

    verdict, calls = check(payload, {**labelled_by("bob"), f"GET {REPO}/pulls/7": pr})

    assert verdict.reason == REASON
    assert calls[0] == f"GET {REPO}/pulls/7"


def test_the_job_writes_its_outputs_and_an_api_error_fails_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An error never reads as "no override": the Required check then fails on this job."""
    event, outputs = tmp_path / "event.json", tmp_path / "outputs"
    event.write_text(json.dumps(pull_request()))
    answers = labelled_by("bob")
    for name, value in {
        "GITHUB_EVENT_PATH": str(event), "GITHUB_OUTPUT": str(outputs),
        "GITHUB_REPOSITORY": REPOSITORY, "GITHUB_TOKEN": "t0ken", "GITHUB_RUN_ID": str(THIS_RUN),
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    with github(state=Answers(answers)) as (url, _):
        monkeypatch.setenv("GITHUB_API_URL", url)
        assert cli.main(["gate-override"]) == 0
        del answers[f"GET {REPO}/collaborators/bob/permission"]
        assert cli.main(["gate-override"]) == 15

    assert outputs.read_text() == f"reason={REASON}\nby=@bob\nrefused=\n"
    out, err = capsys.readouterr()
    assert f"::notice title=Gate override::Gate override by @bob: {REASON}" in out
    assert "collaborators/bob/permission" in err
