"""`gate-override`: whether the `gate-override` label lets this pull request's failing gate pass.

An override is granted only when someone with write access applied the label after the last
push, to a pull request from this repository that is not Dependabot's, whose description has a
"Gate-Override-Reason: <why>" line. ci.yml's override job runs this for pull requests and the
merge queue (which keeps its pull request's override) and hands `reason`, `by` and `refused`
(GITHUB_OUTPUT) to the gate as GATE_OVERRIDE_*. Any API error fails the job (exit 15), and the
Required check with it: an error never reads as "no override".
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }}.core.github import GitHub, GitHubError
from {{ cookiecutter.package_name }}.ops import actions
from {{ cookiecutter.package_name }}.ops.github_deployments import Repository

log = logging.getLogger(__name__)

LABEL = "gate-override"
MARKER = re.compile(r"^Gate-Override-Reason:[ \t]*(\S.*)$", re.IGNORECASE | re.MULTILINE)
QUEUED = re.compile(r"/pr-(\d+)-[0-9a-f]+$")  # a merge queue's branch names its pull request
WRITERS = ("admin", "write")


@dataclass(frozen=True)
class Verdict:
    """What the gate gets: a granted override's reason and who gave it, or why it was refused."""

    reason: str = ""
    by: str = ""
    refused: str = ""


def refuse(why: str) -> Verdict:
    """No override, and why (the gate report and the job's annotation show it)."""
    return Verdict(refused=why)


def when(timestamp: str) -> datetime:
    """A time as GitHub writes it (2026-12-01T10:00:00Z)."""
    return datetime.fromisoformat(timestamp)


def decide(  # noqa: PLR0911 (a return per reason to refuse)
    event: dict[str, Any], github: GitHub, repository: str, run_id: int
) -> Verdict:
    """The override `event` (a pull_request or merge_group payload) asks for, checked on GitHub."""
    repo = f"/repos/{repository}"
    pr = event.get("pull_request")
    queued = QUEUED.search((event.get("merge_group") or {}).get("head_ref") or "")
    if queued:
        pr = github.get(f"{repo}/pulls/{queued[1]}")
    if not pr or not any(label["name"] == LABEL for label in pr["labels"]):
        log.info("No %s label: the gate decides alone.", LABEL)
        return Verdict()
    if (pr["head"].get("repo") or {}).get("full_name") != repository:
        return refuse(
            "a pull request from a fork cannot be overridden: push its branch to this repository"
        )
    if pr["user"]["login"] == "dependabot[bot]":
        return refuse("a Dependabot pull request cannot be overridden")
    issue = f"{repo}/issues/{pr['number']}"
    if event.get("action") in ("synchronize", "reopened"):
        github.delete(f"{issue}/labels/{LABEL}")
        return refuse(
            f"commits arrived after the {LABEL} label was applied, so it was removed: "
            "review them and apply it again"
        )
    applied = [
        item
        for item in github.pages(f"{issue}/events")
        if item["event"] == "labeled" and (item.get("label") or {}).get("name") == LABEL
    ]
    if not applied:
        return refuse(f"no record of who applied the {LABEL} label")
    # The push: when GitHub started the first CI run of the head commit (its server's clock;
    # another label event can cancel the run that removes the label, so the label's own time
    # is compared, not just removed).
    runs = github.pages(
        f"{repo}/actions/runs",
        {"event": "pull_request", "head_sha": pr["head"]["sha"]},
        key="workflow_runs",
    )
    pushed = min((when(run["created_at"]) for run in runs if run["id"] != run_id), default=None)
    if pushed is not None and when(applied[-1]["created_at"]) <= pushed:
        github.delete(f"{issue}/labels/{LABEL}")
        return refuse(
            f"the {LABEL} label was applied before the last push ({pr['head']['sha'][:7]}), so "
            "it was removed: review the new commits and apply it again"
        )
    by = applied[-1]["actor"]["login"]
    access = github.get(f"{repo}/collaborators/{by}/permission")["permission"]
    if access not in WRITERS:
        return refuse(
            f"@{by} applied the {LABEL} label with {access} access; only people with write "
            "access can override the gate"
        )
    reason = MARKER.search(pr.get("body") or "")
    if not reason:
        return refuse(
            f'the {LABEL} label needs a line "Gate-Override-Reason: <why>" in the pull request '
            "description"
        )
    return Verdict(reason[1].strip()[:500], f"@{by}")


def run(args: argparse.Namespace) -> int:
    """Decide from the run's event (GITHUB_EVENT_PATH); annotate, and write GITHUB_OUTPUT."""
    if not os.environ.get("GITHUB_EVENT_PATH"):
        raise GitHubError("GITHUB_EVENT_PATH is not set: the override is read in ci.yml's runs")
    event = json.loads(Path(os.environ["GITHUB_EVENT_PATH"]).read_text(encoding="utf-8"))
    repository = Repository.from_env()
    run_id = int(os.environ.get("GITHUB_RUN_ID", "0"))
    verdict = decide(event, repository.github, repository.name, run_id)
    if verdict.refused:
        print(f"::warning title=Gate override::Gate override refused: {verdict.refused}")
    elif verdict.reason:
        print(f"::notice title=Gate override::Gate override by {verdict.by}: {verdict.reason}")
    lines = f"reason={verdict.reason}\nby={verdict.by}\nrefused={verdict.refused}\n"
    actions.append("GITHUB_OUTPUT", lines)
    return 0
