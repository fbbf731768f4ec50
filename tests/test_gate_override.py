"""The `gate-override` label path of the generated ci.yml, run as GitHub would run it.

The `override` job's github-script runs in node against pull_request and merge_group payloads
shaped like GitHub's webhooks, with the REST API answering from a fixture (who applied the
label, with which access). The gate itself then honours or refuses the result: see
tests/test_workflow_runs.py for the whole pull-request run with the label.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from .conftest import TEMPLATE
from .github_events import Event, Repository
from .workflow_harness import GitHubApi, JobRun, Runner, github_script, run_job_file

REPOSITORY = "acme/customer-churn"
REASON = "the golden set was relabelled (#41); new baseline in this change"
HEAD_SHA = "4" * 40

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs node (.ci/run)")


@pytest.fixture
def workflow() -> Path:
    """The generated ci.yml: copied without rendering, so the template's file is the one."""
    return TEMPLATE / "{{cookiecutter.project_slug}}" / ".github" / "workflows" / "ci.yml"


def pull_request(
    action: str = "labeled",
    *,
    labels: tuple[str, ...] = ("gate-override",),
    body: str = f"Re-baseline.\n\nGate-Override-Reason: {REASON}\n",
    repository: str = REPOSITORY,
    head_repo: str | None = None,
    author: str = "alice",
) -> dict[str, Any]:
    """A `pull_request` webhook payload with the fields GitHub sends that the script reads."""
    return {
        "action": action,
        "number": 7,
        "pull_request": {
            "number": 7,
            "body": body,
            "labels": [{"name": name} for name in labels],
            "user": {"login": author},
            "head": {
                "ref": "rebaseline",
                "sha": HEAD_SHA,
                "repo": {"full_name": head_repo or repository},
            },
            "base": {"ref": "main", "repo": {"full_name": repository}},
        },
        "repository": {"full_name": repository, "default_branch": "main"},
        "sender": {"login": "bob"},
    }


PUSHED = "2026-12-01T10:00:00Z"  # the first CI run of the pull request's head commit


def labelled_by(
    *actors: str, permission: str = "write", at: str = "2026-12-01T10:30:00Z"
) -> dict[str, Any]:
    """API answers: the label's history, its actor's access, the head commit's CI runs.

    The last actor applied the label last, at `at`; the first CI run was made when the commit was
    pushed.
    """
    events = [
        {
            "event": "labeled",
            "label": {"name": "gate-override"},
            "actor": {"login": actor},
            "created_at": at,
        }
        for actor in actors
    ]
    return {
        "issues.listEvents": [{"event": "committed"}, *events],
        "repos.getCollaboratorPermissionLevel": {"permission": permission},
        "issues.removeLabel": [],
        "actions.listWorkflowRunsForRepo": [workflow_run(1, PUSHED)],
    }


def workflow_run(run_id: int, created_at: str) -> dict[str, Any]:
    """A workflow run as GitHub's "List workflow runs for a repository" returns it."""
    return {
        "id": run_id,
        "name": "CI",
        "event": "pull_request",
        "head_sha": HEAD_SHA,
        "status": "completed",
        "created_at": created_at,
    }


def override(workflow: Path, payload: dict[str, Any], api: GitHubApi, tmp_path: Path) -> JobRun:
    name = "merge_group" if "merge_group" in payload else "pull_request"
    event = Event(name, "refs/pull/7/merge", "0" * 40, payload, Repository(REPOSITORY))
    runner = Runner(tmp_path, tmp_path, emulators={"actions/github-script": github_script(api)})
    return run_job_file(workflow, "override", event, runner)


def test_a_maintainer_label_with_a_reason_grants_the_override(
    workflow: Path, tmp_path: Path
) -> None:
    api = GitHubApi(labelled_by("carol", "bob"))

    outputs = override(workflow, pull_request(), api, tmp_path).job_outputs

    assert outputs == {"reason": REASON, "by": "@bob", "refused": ""}
    asked = [call for call in api.calls if call["name"] == "repos.getCollaboratorPermissionLevel"]
    assert asked[0]["params"]["username"] == "bob"  # whoever applied the label last


def test_a_label_from_someone_without_write_access_is_refused(
    workflow: Path, tmp_path: Path
) -> None:
    api = GitHubApi(labelled_by("mallory", permission="read"))

    outputs = override(workflow, pull_request(), api, tmp_path).job_outputs

    assert outputs["reason"] == ""
    assert "@mallory applied the gate-override label with read access" in outputs["refused"]


def test_a_fork_cannot_be_overridden(workflow: Path, tmp_path: Path) -> None:
    api = GitHubApi(labelled_by("bob"))

    outputs = override(workflow, pull_request(head_repo="mallory/customer-churn"), api, tmp_path)

    assert outputs.job_outputs["reason"] == ""
    assert "fork" in outputs.job_outputs["refused"]
    assert api.calls == []


def test_dependabot_cannot_be_overridden(workflow: Path, tmp_path: Path) -> None:
    api = GitHubApi(labelled_by("bob"))

    outputs = override(workflow, pull_request(author="dependabot[bot]"), api, tmp_path)

    assert outputs.job_outputs["reason"] == ""
    assert "Dependabot" in outputs.job_outputs["refused"]


def test_new_commits_withdraw_the_label(workflow: Path, tmp_path: Path) -> None:
    api = GitHubApi(labelled_by("bob"))

    outputs = override(workflow, pull_request("synchronize"), api, tmp_path).job_outputs

    assert outputs["reason"] == ""
    assert "apply it again" in outputs["refused"]
    (removed,) = [call for call in api.calls if call["name"] == "issues.removeLabel"]
    assert removed["params"] == {
        "owner": "acme",
        "repo": "customer-churn",
        "issue_number": 7,
        "name": "gate-override",
    }


def test_a_label_applied_before_the_last_push_is_removed_not_granted(
    workflow: Path, tmp_path: Path
) -> None:
    """Labelled, then pushed: the label's time is what counts.

    A label event seconds after the push cancels the run that would have removed the label, and
    starts this one.
    """
    answers = labelled_by("bob", at="2026-12-01T09:00:00Z")
    answers["actions.listWorkflowRunsForRepo"] = [
        workflow_run(1, PUSHED),  # the push's run, cancelled by the next event
        workflow_run(1658821493, "2026-12-01T10:00:03Z"),  # this run: another label, 3 s later
    ]
    api = GitHubApi(answers)
    payload = pull_request("labeled")
    payload["label"] = {"name": "needs-review"}

    outputs = override(workflow, payload, api, tmp_path).job_outputs

    assert outputs["reason"] == ""
    assert "applied before the last push (4444444), so it was removed" in outputs["refused"]
    assert [c["name"] for c in api.calls if c["name"] == "issues.removeLabel"] == [
        "issues.removeLabel"
    ]
    asked = next(c for c in api.calls if c["name"] == "actions.listWorkflowRunsForRepo")
    assert asked["params"]["head_sha"] == HEAD_SHA


def test_a_label_applied_after_the_push_counts_even_if_this_is_the_first_run(
    workflow: Path, tmp_path: Path
) -> None:
    """A push whose own run never started (`[skip ci]`): only this run, which is not the push."""
    answers = labelled_by("bob", at="2026-12-01T10:30:00Z")
    answers["actions.listWorkflowRunsForRepo"] = [workflow_run(1658821493, PUSHED)]

    outputs = override(workflow, pull_request(), GitHubApi(answers), tmp_path).job_outputs

    assert outputs["reason"] == REASON


def test_an_api_error_fails_the_job(workflow: Path, tmp_path: Path) -> None:
    """The Required check then fails: an error never reads as "no override"."""
    answers = labelled_by("bob")
    del answers["repos.getCollaboratorPermissionLevel"]

    run = override(workflow, pull_request(), GitHubApi(answers), tmp_path)

    assert run.result == "failure"
    assert "getCollaboratorPermissionLevel" in (run.failure or "")


def test_the_reason_line_is_required(workflow: Path, tmp_path: Path) -> None:
    api = GitHubApi(labelled_by("bob"))

    outputs = override(workflow, pull_request(body="trust me"), api, tmp_path).job_outputs

    assert outputs["reason"] == ""
    assert "Gate-Override-Reason: <why>" in outputs["refused"]


def test_without_the_label_nothing_is_asked(workflow: Path, tmp_path: Path) -> None:
    api = GitHubApi({})

    outputs = override(workflow, pull_request("opened", labels=("bug",)), api, tmp_path)

    assert outputs.job_outputs == {"reason": "", "by": "", "refused": ""}
    assert api.calls == []


def test_the_merge_queue_keeps_the_override_of_its_pull_request(
    workflow: Path, tmp_path: Path
) -> None:
    pr = pull_request()["pull_request"]
    api = GitHubApi({**labelled_by("bob"), "pulls.get": pr})
    payload = {
        "action": "checks_requested",
        "merge_group": {
            "head_sha": "1" * 40,
            "head_ref": f"refs/heads/gh-readonly-queue/main/pr-7-{'2' * 40}",
            "base_sha": "3" * 40,
            "base_ref": "refs/heads/main",
        },
        "repository": {"full_name": REPOSITORY, "default_branch": "main"},
    }

    outputs = override(workflow, payload, api, tmp_path).job_outputs

    assert outputs["reason"] == REASON
    asked = {"owner": "acme", "repo": "customer-churn", "pull_number": 7}
    assert {"name": "pulls.get", "params": asked} in api.calls
