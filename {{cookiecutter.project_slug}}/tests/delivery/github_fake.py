"""GitHub's REST API on loopback: a repository's delivery record, in the API's own shapes.

`Scenario` builds the record (deployments with their statuses, commits, comparisons,
releases, CI runs and jobs, dvc.lock's contents) as GitHub's OpenAPI description shapes each
answer (the template's tests validate every one of them against it). `FakeGitHub` serves it on
127.0.0.1 the way GitHub does: pages of at most `page_size` items linked by `Link` headers,
the `created` range of workflow runs, and, when asked, a rate-limit refusal.
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

REPO = "octo-org/churn"
API = "https://api.github.com"
WINDOW = ("2026-10-05", "2026-11-02")  # the scenario's four weeks (--until 2026-11-02 --days 28)


def sha(name: str) -> str:
    """A commit's 40 hex digits, readable in failures: c1 -> c1c1c1..."""
    return (name.encode().hex() * 20)[:40]


def _urls(base: str, *names: str) -> dict[str, str]:
    return {name: f"{base}/{name.removesuffix('_url')}" for name in names}


def user(login: str = "octocat") -> dict[str, Any]:
    """A simple-user."""
    return {
        "login": login,
        "id": 1,
        "node_id": "MDQ6VXNlcjE=",
        "gravatar_id": "",
        "type": "User",
        "site_admin": False,
        **_urls(
            f"{API}/users/{login}",
            "avatar_url",
            "events_url",
            "followers_url",
            "following_url",
            "gists_url",
            "html_url",
            "organizations_url",
            "received_events_url",
            "repos_url",
            "starred_url",
            "subscriptions_url",
            "url",
        ),
    }


def commit(name: str, date: str, parent: str | None) -> dict[str, Any]:
    """A commit as listings and comparisons give it."""
    person = {"name": "Dev", "email": "dev@example.com", "date": date}
    url = f"{API}/repos/{REPO}/commits/{sha(name)}"
    return {
        "url": url,
        "sha": sha(name),
        "node_id": "C_" + name,
        "html_url": f"https://github.com/{REPO}/commit/{sha(name)}",
        "comments_url": url + "/comments",
        "commit": {
            "url": f"{API}/repos/{REPO}/git/commits/{sha(name)}",
            "author": person,
            "committer": person,
            "message": f"Change {name}",
            "comment_count": 0,
            "tree": {"sha": sha("t" + name), "url": f"{API}/repos/{REPO}/git/trees/x"},
        },
        "author": user(),
        "committer": user(),
        "parents": [] if parent is None else [{"sha": sha(parent), "url": url, "html_url": url}],
    }


@dataclass
class Scenario:
    """A repository's record: what each route answers (lists are served newest first)."""

    commits: dict[str, dict[str, Any]] = field(default_factory=dict)  # name: commit
    order: list[str] = field(default_factory=list)  # commit names, oldest first
    deployments: list[dict[str, Any]] = field(default_factory=list)
    statuses: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    releases: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    jobs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    locks: dict[str, str] = field(default_factory=dict)  # commit sha: dvc.lock text
    lock_commits: list[str] = field(default_factory=list)  # commits that changed dvc.lock

    def add_commit(self, name: str, date: str, data_md5: str, code_md5: str = "c0de") -> None:
        """A commit of main, and the dvc.lock it holds (data and code of the stage `data`)."""
        parent = self.order[-1] if self.order else None
        self.commits[name] = commit(name, date, parent)
        self.order.append(name)
        self.locks[sha(name)] = (
            "schema: '2.0'\nstages:\n  data:\n    cmd: churn data\n    deps:\n"
            f"    - path: data/raw/customers.csv\n      md5: {data_md5}\n"
            f"    - path: src/pkg/pipeline/prepare.py\n      md5: {code_md5}\n"
        )
        if parent is not None and self.locks[sha(parent)] != self.locks[sha(name)]:
            self.lock_commits.append(name)

    def deploy(self, at: str, name: str, *states: tuple[str, str], run: int = 0) -> int:
        """A production deployment of commit `name` and its statuses ((state, time) each)."""
        number = len(self.deployments) + 1
        url = f"{API}/repos/{REPO}/deployments/{number}"
        self.deployments.append(
            {
                "url": url,
                "id": number,
                "node_id": f"DE_{number}",
                "sha": sha(name),
                "ref": "main",
                "task": "deploy",
                "payload": {},
                "original_environment": "production",
                "environment": "production",
                "description": None,
                "creator": user("github-actions[bot]"),
                "created_at": at,
                "updated_at": at,
                "statuses_url": url + "/statuses",
                "repository_url": f"{API}/repos/{REPO}",
                "transient_environment": False,
                "production_environment": True,
            }
        )
        log = f"https://github.com/{REPO}/actions/runs/{run or 100 + number}/job/{number}"
        self.statuses[number] = [
            {
                "url": f"{url}/statuses/{number * 10 + i}",
                "id": number * 10 + i,
                "node_id": f"DES_{number}_{i}",
                "state": state,
                "creator": user("github-actions[bot]"),
                "description": "",
                "environment": "production",
                "target_url": log,
                "log_url": log,
                "created_at": when,
                "updated_at": when,
                "deployment_url": url,
                "repository_url": f"{API}/repos/{REPO}",
            }
            for i, (state, when) in enumerate(states)
        ]
        return number

    def release(self, tag: str, published: str | None, *, prerelease: bool = False) -> None:
        """A release (a draft when `published` is None)."""
        number = len(self.releases) + 1
        base = f"{API}/repos/{REPO}/releases/{number}"
        self.releases.append(
            {
                "url": base,
                "html_url": f"https://github.com/{REPO}/releases/tag/{tag}",
                "assets_url": base + "/assets",
                "upload_url": f"https://uploads.github.com/repos/{REPO}/releases/{number}/assets",
                "tarball_url": f"{API}/repos/{REPO}/tarball/{tag}",
                "zipball_url": f"{API}/repos/{REPO}/zipball/{tag}",
                "id": number,
                "node_id": f"RE_{number}",
                "tag_name": tag,
                "target_commitish": "main",
                "name": tag,
                "draft": published is None,
                "prerelease": prerelease,
                "created_at": published or "2026-10-01T00:00:00Z",
                "published_at": published,
                "author": user(),
                "assets": [],
            }
        )

    def ci_run(self, run_id: int, at: str, pr: int, gate: str | None) -> None:
        """A pull-request run of ci.yml; `gate`: its gate step's conclusion (None: no gate job)."""
        head = self.commits[self.order[-1]]
        repository = minimal_repository()
        base = f"{API}/repos/{REPO}/actions/runs/{run_id}"
        self.runs.append(
            {
                "id": run_id,
                "name": "CI",
                "node_id": f"WFR_{run_id}",
                "head_branch": f"pr-{pr}",
                "head_sha": head["sha"],
                "path": ".github/workflows/ci.yml",
                "display_title": f"Pull request {pr}",
                "run_number": run_id,
                "run_attempt": 1,
                "event": "pull_request",
                "status": "completed",
                "conclusion": "success" if gate == "success" else "failure",
                "workflow_id": 7,
                "url": base,
                "html_url": f"https://github.com/{REPO}/actions/runs/{run_id}",
                "pull_requests": [
                    {
                        "id": pr,
                        "number": pr,
                        "url": f"{API}/repos/{REPO}/pulls/{pr}",
                        "head": {"ref": f"pr-{pr}", "sha": head["sha"], "repo": repo_ref()},
                        "base": {"ref": "main", "sha": head["sha"], "repo": repo_ref()},
                    }
                ],
                "created_at": at,
                "updated_at": at,
                "jobs_url": base + "/jobs",
                "logs_url": base + "/logs",
                "check_suite_url": f"{API}/repos/{REPO}/check-suites/{run_id}",
                "artifacts_url": base + "/artifacts",
                "cancel_url": base + "/cancel",
                "rerun_url": base + "/rerun",
                "workflow_url": f"{API}/repos/{REPO}/actions/workflows/7",
                "head_commit": {
                    "id": head["sha"],
                    "tree_id": head["commit"]["tree"]["sha"],
                    "message": head["commit"]["message"],
                    "timestamp": head["commit"]["committer"]["date"],
                    "author": {"name": "Dev", "email": "dev@example.com"},
                    "committer": {"name": "Dev", "email": "dev@example.com"},
                },
                "repository": repository,
                "head_repository": repository,
            }
        )
        steps = [("Check out", "success")]
        if gate is not None:
            steps.append(("Gate against the target branch", gate))
        self.jobs[run_id] = [
            job(run_id, 1, "Lint", [("Lint", "success")], head["sha"]),
            job(run_id, 2, "Pipeline and gate" if gate is not None else "Test", steps, head["sha"]),
        ]

    def responses(self) -> list[tuple[str, int, Any]]:
        """(OpenAPI path, status, body) of every answer the scenario can give (whole lists)."""
        repo = "/repos/{owner}/{repo}"
        answers: list[tuple[str, int, Any]] = [
            (f"{repo}/deployments", 200, self.deployments),
            (f"{repo}/releases", 200, self.releases),
            (
                repo + "/actions/workflows/{workflow_id}/runs",
                200,
                {"total_count": len(self.runs), "workflow_runs": self.runs},
            ),
            (f"{repo}/commits", 200, [self.commits[n] for n in self.lock_commits]),
            (f"{repo}/deployments", 403, RATE_LIMITED),
        ]
        answers += [
            (repo + "/deployments/{deployment_id}/statuses", 200, s) for s in self.statuses.values()
        ]
        answers += [
            (repo + "/actions/runs/{run_id}/jobs", 200, {"total_count": len(j), "jobs": j})
            for j in self.jobs.values()
        ]
        answers += [(repo + "/contents/{path}", 200, self.content(s)) for s in self.locks]
        names = self.order
        answers += [
            (repo + "/compare/{basehead}", 200, self.compare(sha(a), sha(b)))
            for a, b in [(names[0], names[-1]), (names[-1], names[1])]
        ]
        return answers

    def content(self, ref: str) -> dict[str, Any]:
        """dvc.lock at `ref`, as the contents API gives a file."""
        text = self.locks[ref].encode()
        url = f"{API}/repos/{REPO}/contents/dvc.lock?ref={ref}"
        return {
            "type": "file",
            "encoding": "base64",
            "size": len(text),
            "name": "dvc.lock",
            "path": "dvc.lock",
            "content": base64.b64encode(text).decode(),
            "sha": ref,
            "url": url,
            "git_url": url,
            "html_url": url,
            "download_url": url,
            "_links": {"self": url, "git": url, "html": url},
        }

    def compare(self, base: str, head: str) -> dict[str, Any]:
        """`compare/base...head` of a linear history: ahead, behind or identical."""
        shas = [sha(n) for n in self.order]
        b, h = shas.index(base), shas.index(head)
        ahead = [self.commits[n] for n in self.order[b + 1 : h + 1]]
        status = "identical" if b == h else "ahead" if h > b else "behind"
        url = f"{API}/repos/{REPO}/compare/{base}...{head}"
        return {
            "url": url,
            "html_url": url,
            "permalink_url": url,
            "diff_url": url + ".diff",
            "patch_url": url + ".patch",
            "base_commit": self.commits[self.order[b]],
            "merge_base_commit": self.commits[self.order[min(b, h)]],
            "status": status,
            "ahead_by": len(ahead),
            "behind_by": max(b - h, 0),
            "total_commits": len(ahead),
            "commits": ahead,
            "files": [],
        }


RATE_LIMITED = {
    "message": "API rate limit exceeded for installation ID 1.",
    "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
}


def repo_ref() -> dict[str, Any]:
    """The repository as a pull request's head or base names it."""
    return {"id": 42, "url": f"{API}/repos/{REPO}", "name": REPO.split("/")[1]}


def minimal_repository() -> dict[str, Any]:
    """A minimal-repository."""
    base = f"{API}/repos/{REPO}"
    names = [
        "archive_url",
        "assignees_url",
        "blobs_url",
        "branches_url",
        "collaborators_url",
        "comments_url",
        "commits_url",
        "compare_url",
        "contents_url",
        "contributors_url",
        "deployments_url",
        "downloads_url",
        "events_url",
        "forks_url",
        "git_commits_url",
        "git_refs_url",
        "git_tags_url",
        "hooks_url",
        "issue_comment_url",
        "issue_events_url",
        "issues_url",
        "keys_url",
        "labels_url",
        "languages_url",
        "merges_url",
        "milestones_url",
        "notifications_url",
        "pulls_url",
        "releases_url",
        "stargazers_url",
        "statuses_url",
        "subscribers_url",
        "subscription_url",
        "tags_url",
        "teams_url",
        "trees_url",
    ]
    return {
        **_urls(base, *names),
        "id": 42,
        "node_id": "R_42",
        "name": REPO.split("/")[1],
        "full_name": REPO,
        "owner": user("octo-org"),
        "private": True,
        "html_url": f"https://github.com/{REPO}",
        "description": None,
        "fork": False,
        "url": base,
    }


def job(
    run_id: int, number: int, name: str, steps: list[tuple[str, str]], head: str
) -> dict[str, Any]:
    """A job of a run, with its steps' conclusions."""
    at = "2026-10-10T10:00:00Z"
    url = f"{API}/repos/{REPO}/actions/jobs/{run_id * 10 + number}"
    return {
        "id": run_id * 10 + number,
        "node_id": f"J_{run_id}_{number}",
        "run_id": run_id,
        "run_url": f"{API}/repos/{REPO}/actions/runs/{run_id}",
        "run_attempt": 1,
        "head_sha": head,
        "head_branch": "feature",
        "workflow_name": "CI",
        "name": name,
        "url": url,
        "html_url": f"https://github.com/{REPO}/actions/runs/{run_id}/job/{number}",
        "status": "completed",
        "conclusion": "failure" if any(c == "failure" for _, c in steps) else "success",
        "created_at": at,
        "started_at": at,
        "completed_at": at,
        "check_run_url": f"{API}/repos/{REPO}/check-runs/{run_id * 10 + number}",
        "labels": ["ubuntu-24.04"],
        "runner_id": 1,
        "runner_name": "GitHub Actions 1",
        "runner_group_id": 0,
        "runner_group_name": "GitHub Actions",
        "steps": [
            {
                "name": step,
                "status": "completed",
                "conclusion": conclusion,
                "number": i + 1,
                "started_at": at,
                "completed_at": at,
            }
            for i, (step, conclusion) in enumerate(steps)
        ],
    }


def known_scenario() -> Scenario:
    """Four weeks (WINDOW) with every case the metrics must get right (the test lists answers).

    c0 is live before the window. D2 is re-run (two attempts of run 111). D3 (c4) is rolled
    back by D4 to c3. D5 fails with an error and ships nothing; D6 recovers it a day later.
    D7 redeploys c6 and fails (no commit of its own), not recovered. D8 is still in progress.
    Data changes at c2, c5 and c7 (dvc.lock's data md5); c4 changes only code.
    """
    s = Scenario()
    for name, date, data, code in [
        ("c0", "2026-09-27T10:00:00Z", "aaa", "c0de"),
        ("c1", "2026-10-05T10:00:00Z", "aaa", "c0de"),
        ("c2", "2026-10-06T08:00:00Z", "bbb", "c0de"),
        ("c3", "2026-10-07T10:15:00Z", "bbb", "c0de"),
        ("c4", "2026-10-12T12:10:00Z", "bbb", "c1de"),
        ("c5", "2026-10-19T09:00:00Z", "ccc", "c1de"),
        ("c6", "2026-10-21T08:05:00Z", "ccc", "c1de"),
        ("c7", "2026-10-31T10:00:00Z", "ddd", "c1de"),
    ]:
        s.add_commit(name, date, data, code)
    s.deploy("2026-09-28T10:00:00Z", "c0", ("success", "2026-09-28T10:10:00Z"))
    s.deploy("2026-10-06T10:00:00Z", "c2", ("success", "2026-10-06T10:30:00Z"))
    s.deploy("2026-10-08T09:00:00Z", "c3", ("failure", "2026-10-08T09:20:00Z"), run=111)
    s.deploy("2026-10-08T10:00:00Z", "c3", ("success", "2026-10-08T10:15:00Z"), run=111)
    s.deploy("2026-10-13T12:00:00Z", "c4", ("success", "2026-10-13T12:10:00Z"))
    s.deploy("2026-10-13T14:00:00Z", "c3", ("success", "2026-10-13T14:05:00Z"))
    s.deploy(
        "2026-10-20T09:00:00Z",
        "c5",
        ("in_progress", "2026-10-20T09:01:00Z"),
        ("error", "2026-10-20T09:05:00Z"),
    )
    s.deploy(
        "2026-10-21T09:00:00Z",
        "c6",
        ("in_progress", "2026-10-21T09:01:00Z"),
        ("success", "2026-10-21T09:05:00Z"),
    )
    s.deploy("2026-10-28T10:00:00Z", "c6", ("failure", "2026-10-28T10:10:00Z"))
    s.deploy("2026-11-01T10:00:00Z", "c7", ("in_progress", "2026-11-01T10:02:00Z"))
    s.release("v1.0.0", "2026-09-20T12:00:00Z")
    s.release("v1.1.0", "2026-10-07T12:00:00Z")
    s.release("v1.2.0-rc.1", "2026-10-10T12:00:00Z", prerelease=True)
    s.release("v1.2.0", "2026-10-22T12:00:00Z")
    s.release("v1.3.0", None)  # a draft
    s.ci_run(301, "2026-10-06T07:00:00Z", 5, "failure")
    s.ci_run(302, "2026-10-06T07:30:00Z", 5, "success")
    s.ci_run(303, "2026-10-14T07:00:00Z", 6, "success")
    s.ci_run(304, "2026-10-15T07:00:00Z", 7, "skipped")
    s.ci_run(305, "2026-10-16T07:00:00Z", 8, None)  # the gate job never ran
    s.ci_run(306, "2026-09-30T07:00:00Z", 4, "failure")  # before the window
    return s


@dataclass
class FakeGitHub:
    """The scenario served on 127.0.0.1; `url` is GITHUB_API_URL."""

    scenario: Scenario
    page_size: int = 2  # stands for GitHub's 100: every listing spans pages
    refuse_after: int | None = None  # requests answered before the rate limit is spent
    retry_after: int | None = None  # the first request gets 429 with this retry-after
    repository: str = REPO  # the one it knows (others: 404)
    listing_cap: int = 1000  # workflow runs a filtered listing gives at most (as GitHub)
    paths: list[str] = field(default_factory=list)
    url: str = ""

    def answer(self, target: str) -> tuple[int, Any, dict[str, str]]:
        """Status, JSON body and headers for GET `target` (path and query)."""
        self.paths.append(target)
        if self.retry_after is not None and len(self.paths) == 1:
            return (
                429,
                {"message": "You have exceeded a secondary rate limit."},
                {"retry-after": str(self.retry_after)},
            )
        if self.refuse_after is not None and len(self.paths) > self.refuse_after:
            return (
                403,
                RATE_LIMITED,
                {
                    "x-ratelimit-remaining": "0",
                    "x-ratelimit-reset": "4102444800",  # 2100: far beyond any wait
                },
            )
        parsed = urllib.parse.urlsplit(target)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(parsed.query).items()}
        found = self.route(parsed.path.removeprefix(f"/repos/{self.repository}"), query)
        if found is None:
            return (
                404,
                {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"},
                {},
            )
        body, key = found
        headers = {"x-ratelimit-remaining": "4000", "x-ratelimit-reset": "4102444800"}
        items = body if key is None else body[key]
        if isinstance(items, list):
            page = int(query.get("page", "1"))
            size = min(int(query.get("per_page", "30")), self.page_size)
            chosen = items[(page - 1) * size : page * size]
            if page * size < len(items):
                query["page"] = str(page + 1)
                nxt = f"{self.url}{parsed.path}?{urllib.parse.urlencode(query)}"
                headers["Link"] = f'<{nxt}>; rel="next"'
            body = chosen if key is None else {**body, key: chosen}
        return 200, body, headers

    def route(self, path: str, query: dict[str, str]) -> tuple[Any, str | None] | None:  # noqa: PLR0911 (a return per route)
        """The whole answer of a route (before paging), and the key of its list."""
        s = self.scenario
        parts = path.strip("/").split("/")

        def newest(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return sorted(items, key=lambda item: item["created_at"], reverse=True)

        if parts == ["deployments"]:
            chosen = [d for d in s.deployments if d["environment"] == query.get("environment")]
            return newest(chosen), None
        if len(parts) == 3 and parts[0] == "deployments" and parts[2] == "statuses":
            return newest(s.statuses.get(int(parts[1]), [])), None
        if len(parts) == 2 and parts[0] == "compare":
            base, _, head = parts[1].partition("...")
            known = {c["sha"] for c in s.commits.values()}
            return (s.compare(base, head), "commits") if {base, head} <= known else None
        if parts == ["releases"]:
            return newest(s.releases), None
        if parts == ["actions", "workflows", "ci.yml", "runs"]:
            start, _, end = query.get("created", "..").partition("..")
            runs = [
                r
                for r in s.runs
                if start <= r["created_at"] <= end and r["event"] == query.get("event")
            ]
            listed = newest(runs)[: self.listing_cap]  # total_count still counts them all
            return {"total_count": len(runs), "workflow_runs": listed}, "workflow_runs"
        if len(parts) == 4 and parts[:2] == ["actions", "runs"] and parts[3] == "jobs":
            jobs = s.jobs.get(int(parts[2]))
            return None if jobs is None else ({"total_count": len(jobs), "jobs": jobs}, "jobs")
        if parts == ["commits"] and query.get("path") == "dvc.lock":
            chosen = [
                s.commits[n]
                for n in s.lock_commits
                if query["since"] <= s.commits[n]["commit"]["committer"]["date"] <= query["until"]
            ]
            return sorted(
                chosen, key=lambda c: c["commit"]["committer"]["date"], reverse=True
            ), None
        if parts == ["contents", "dvc.lock"] and query.get("ref") in s.locks:
            return s.content(query["ref"]), None
        return None


@contextmanager
def serving(fake: FakeGitHub) -> Iterator[FakeGitHub]:
    """Serve `fake` on a free port of 127.0.0.1 while the block runs."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body, headers = fake.answer(self.path)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test says what went wrong."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    # `python -m tests.delivery.github_fake [owner/name]`: serve the known scenario as that
    # repository's until stopped; prints GITHUB_API_URL (the template's tests use it).
    import sys
    import time

    repository = sys.argv[1] if len(sys.argv) > 1 else REPO
    with serving(FakeGitHub(known_scenario(), repository=repository)) as running:
        print(running.url, flush=True)
        while True:
            time.sleep(3600)
