"""What the repository records about its delivery, read from GitHub into typed records.

- production deployments (`GET /repos/{o}/{r}/deployments?environment=production`, every
  page) with each one's statuses, as the deploy workflow records them;
- the commits each live deployment shipped: `GET /repos/{o}/{r}/compare/{base}...{head}` from
  the previous live deployment's commit (every page; `behind` means a rollback);
- releases (`GET /repos/{o}/{r}/releases`): each published release moves the MLflow alias
  `champion` (release.yml runs `make champion`), so they are the champion's changes;
- the gate on pull requests: ci.yml's runs for `pull_request` events and, per run, the latest
  attempt's job GATE_JOB and its step GATE_STEP;
- data changes: commits of dvc.lock where the stage `data` reads other data than before.

Reading stops early only at GitHub's rate limit: `History.stopped` says where, and what was
read so far is kept.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from {{ cookiecutter.package_name }}.core.github import (
    GitHub,
    Missing,
    RateLimitStop,
)

ENVIRONMENT = "production"
CI_WORKFLOW = "ci.yml"  # the pull requests' validation (.github/workflows/ci.yml)
GATE_JOB = "Pipeline and gate"  # ci.yml's job that gates the model...
GATE_STEP = "Gate against the target branch"  # ...and its step whose conclusion is the verdict
DATA_STAGE = "data"  # the dvc.yaml stage that reads the raw data and the golden set
LOCK = "dvc.lock"
RUN_URL = re.compile(r"/actions/runs/(\d+)")


def timestamp(text: str) -> datetime:
    """GitHub's ISO 8601 time (`2026-11-02T10:00:00Z`) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def iso(moment: datetime) -> str:
    """The time as GitHub's query parameters take it."""
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


@dataclass(frozen=True)
class Status:
    """One status of a deployment: success, failure, error, inactive, in_progress, ..."""

    state: str
    at: datetime


@dataclass(frozen=True)
class Deployment:
    """One production deployment as GitHub lists it (one attempt, if a run was re-run)."""

    id: int
    sha: str
    created_at: datetime
    statuses: tuple[Status, ...]  # oldest first
    run_id: str | None  # the workflow run that made it (from the statuses' log URLs)

    def first(self, *states: str) -> datetime | None:
        """When the deployment first reached one of `states`, if it did."""
        return next((s.at for s in self.statuses if s.state in states), None)


@dataclass(frozen=True)
class Commit:
    """A commit and its committer date (when it became the change deployed)."""

    sha: str
    committed_at: datetime


@dataclass(frozen=True)
class Comparison:
    """What `compare/base...head` says: ahead, behind (a rollback), identical or diverged."""

    status: str
    commits: tuple[Commit, ...]


@dataclass(frozen=True)
class Release:
    """A published release: the champion moved to the model it ships."""

    tag: str
    published_at: datetime


@dataclass(frozen=True)
class GateRun:
    """The gate's verdict on one pull-request run of CI (its latest attempt)."""

    run_id: int
    created_at: datetime
    pull_request: int | None
    passed: bool


@dataclass
class History:
    """Everything read, oldest first; `stopped` says why reading ended early, if it did."""

    deployments: list[Deployment] = field(default_factory=list)
    comparisons: dict[tuple[str, str], Comparison | None] = field(default_factory=dict)
    releases: list[Release] = field(default_factory=list)
    gate_runs: list[GateRun] = field(default_factory=list)
    data_changes: list[Commit] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)  # sections the rate limit cut short
    stopped: str | None = None
    requests: int = 0


SECTIONS = ("deployments", "releases", "gate_runs", "data_changes")


def read_history(github: GitHub, repository: str, since: datetime, until: datetime) -> History:
    """The record of `repository` from `since` to `until` (and the live deployment before)."""
    history = History()
    repo = f"/repos/{repository}"
    readers = {
        "deployments": lambda: read_deployments(github, repo, since, until, history),
        "releases": lambda: read_releases(github, repo, since, until, history),
        "gate_runs": lambda: read_gate_runs(github, repo, since, until, history),
        "data_changes": lambda: read_data_changes(github, repo, since, until, history),
    }
    for section in SECTIONS:
        if history.stopped is not None:
            history.unread.append(section)
            continue
        try:
            readers[section]()
        except RateLimitStop as stop:
            history.stopped = str(stop)
            history.unread.append(section)
    history.requests = github.requests
    return history


def read_deployments(
    github: GitHub, repo: str, since: datetime, until: datetime, history: History
) -> None:
    """Production deployments of the window, newest listed first by GitHub, kept oldest first.

    Reading goes on past `since` until a deployment that went live: the base of the first
    comparison in the window.
    """
    found: list[Deployment] = []
    try:
        for item in github.pages(f"{repo}/deployments", {"environment": ENVIRONMENT}):
            created = timestamp(item["created_at"])
            if created >= until:
                continue
            deployment = _with_statuses(github, repo, item)
            found.append(deployment)
            if created < since and deployment.first("success") is not None:
                break
    finally:  # cut short by the rate limit: the newest ones read so far still count
        history.deployments = sorted(found, key=lambda d: (d.created_at, d.id))
    live: str | None = None
    for deployment in history.deployments:
        if deployment.first("success") is None:
            continue
        if live is not None:
            pair = (live, deployment.sha)
            if pair not in history.comparisons:
                history.comparisons[pair] = compare(github, repo, *pair)
        live = deployment.sha


def _with_statuses(github: GitHub, repo: str, item: dict[str, Any]) -> Deployment:
    listed = list(github.pages(f"{repo}/deployments/{item['id']}/statuses"))
    statuses = sorted((Status(s["state"], timestamp(s["created_at"])) for s in listed), key=_at)
    urls = [str(s.get("log_url") or s.get("target_url") or "") for s in listed]
    payload = item.get("payload")
    if isinstance(payload, dict) and payload.get("run_id"):
        urls.append(f"/actions/runs/{payload['run_id']}")
    run = next((m.group(1) for url in urls if (m := RUN_URL.search(url))), None)
    return Deployment(item["id"], item["sha"], timestamp(item["created_at"]), tuple(statuses), run)


def _at(status: Status) -> datetime:
    return status.at


def compare(github: GitHub, repo: str, base: str, head: str) -> Comparison | None:
    """The commits `head` has that `base` has not (every page); None if GitHub knows neither."""
    if base == head:
        return Comparison("identical", ())
    status = ""
    commits: list[Commit] = []
    try:
        for page in github.bodies(f"{repo}/compare/{base}...{head}"):
            status = status or str(page["status"])
            commits.extend(_commit(c) for c in page["commits"])
    except Missing:
        return None
    return Comparison(status, tuple(commits))


def _commit(item: dict[str, Any]) -> Commit:
    return Commit(item["sha"], timestamp(item["commit"]["committer"]["date"]))


def read_releases(
    github: GitHub, repo: str, since: datetime, until: datetime, history: History
) -> None:
    """Published releases (no drafts, no pre-releases) of the window, oldest first."""
    found = []
    for item in github.pages(f"{repo}/releases"):
        if item["draft"] or item["prerelease"] or not item.get("published_at"):
            continue
        published = timestamp(item["published_at"])
        if since <= published < until:
            found.append(Release(item["tag_name"], published))
    history.releases = sorted(found, key=lambda r: r.published_at)


def read_gate_runs(
    github: GitHub, repo: str, since: datetime, until: datetime, history: History
) -> None:
    """The gate step's verdict in each pull-request run of ci.yml (skipped ones left out)."""
    runs = f"{repo}/actions/workflows/{CI_WORKFLOW}/runs"
    for start, end in weeks(since, until):
        for run in pull_request_runs(github, runs, start, end):
            verdict = _gate_verdict(github, repo, int(run["id"]))
            if verdict is None:
                continue
            prs = run.get("pull_requests") or []
            history.gate_runs.append(
                GateRun(
                    int(run["id"]),
                    timestamp(run["created_at"]),
                    int(prs[0]["number"]) if prs else None,
                    verdict,
                )
            )
    history.gate_runs.sort(key=lambda r: (r.created_at, r.run_id))


def pull_request_runs(
    github: GitHub, runs: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """CI's pull-request runs created in [start, end), every page.

    A filtered listing stops at 1,000 runs however many pages are read (its total_count says
    how many there are): a span that holds more is read again in two halves, down to a minute.
    """
    created = f"{iso(start)}..{iso(end - timedelta(seconds=1))}"
    params = {"event": "pull_request", "created": created, "exclude_pull_requests": "false"}
    found: list[dict[str, Any]] = []
    total = 0
    for body in github.bodies(runs, params):
        total = max(total, int(body["total_count"]))
        found.extend(body["workflow_runs"])
    if len(found) < total and end - start > timedelta(minutes=1):
        middle = start + timedelta(seconds=(end - start).total_seconds() // 2)
        return [
            *pull_request_runs(github, runs, start, middle),
            *pull_request_runs(github, runs, middle, end),
        ]
    return found


def _gate_verdict(github: GitHub, repo: str, run_id: int) -> bool | None:
    jobs = github.pages(f"{repo}/actions/runs/{run_id}/jobs", {"filter": "latest"}, key="jobs")
    for job in jobs:
        if job["name"] != GATE_JOB:
            continue
        for step in job.get("steps") or []:
            if step["name"] == GATE_STEP and step["conclusion"] in ("success", "failure"):
                return bool(step["conclusion"] == "success")
    return None


def weeks(since: datetime, until: datetime) -> Iterator[tuple[datetime, datetime]]:
    """[since, until) in spans of at most seven days."""
    start = since
    while start < until:
        end = min(start + timedelta(days=7), until)
        yield start, end
        start = end


def read_data_changes(
    github: GitHub, repo: str, since: datetime, until: datetime, history: History
) -> None:
    """Commits of the window where dvc.lock's stage `data` reads other data than its parent's."""
    params = {"path": LOCK, "since": iso(since), "until": iso(until)}
    for item in github.pages(f"{repo}/commits", params):
        parents = item.get("parents") or []
        after = data_inputs(github, repo, item["sha"])
        before = data_inputs(github, repo, parents[0]["sha"]) if parents else None
        if after is not None and after != before:
            history.data_changes.append(_commit(item))
    history.data_changes.sort(key=lambda c: c.committed_at)


def data_inputs(github: GitHub, repo: str, ref: str) -> dict[str, str] | None:
    """The data files (path: md5) dvc.lock's stage `data` read at `ref`; None without one."""
    content = github.get_or_none(f"{repo}/contents/{LOCK}", {"ref": ref})
    if not isinstance(content, dict) or "content" not in content:
        return None
    lock = yaml.safe_load(base64.b64decode(content["content"]))
    stage = ((lock or {}).get("stages") or {}).get(DATA_STAGE) or {}
    return {
        dep["path"]: str(dep.get("md5", ""))
        for dep in stage.get("deps") or []
        if not str(dep["path"]).endswith(".py")
    }
