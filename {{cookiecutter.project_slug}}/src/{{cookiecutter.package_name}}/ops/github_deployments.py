"""GitHub's record of deployments, read and written through its REST API.

deploy.yml creates one deployment per release and environment and gives it statuses
(in_progress, then success or failure; inactive when a rollback replaces it), so delivery
metrics can be read back from `GET /repos/{owner}/{repo}/deployments?environment=production`
and each one's `/statuses`. The payload names the image digest and the model version the image
serves: what `make rollback` needs to return to it.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

API = "https://api.github.com"


class GitHubError(RuntimeError):
    """GitHub refused a call or cannot be reached; the message says which and why."""


@dataclass(frozen=True)
class GitHub:
    """One repository's REST API, with a token (GH_TOKEN or GITHUB_TOKEN in a workflow)."""

    repo: str
    token: str
    api: str = API

    @classmethod
    def from_env(cls, repo: str | None = None) -> GitHub:
        """GITHUB_REPOSITORY, GH_TOKEN (else GITHUB_TOKEN) and GITHUB_API_URL, as Actions sets."""
        repo = repo or os.environ.get("GITHUB_REPOSITORY", "")
        token = os.environ.get("GH_TOKEN") or os.environ.get("GITHUB_TOKEN", "")
        if not repo or not token:
            raise GitHubError(
                "name the repository (GITHUB_REPOSITORY=owner/name) and give a token in "
                "GH_TOKEN (deployments: read, or write to record them)"
            )
        return cls(repo, token, os.environ.get("GITHUB_API_URL", API))

    def call(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """GET `path` of the repository, or POST `body` to it; the JSON answer."""
        request = urllib.request.Request(
            f"{self.api.rstrip('/')}/repos/{self.repo}/{path}",
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {self.token}",
                "X-GitHub-Api-Version": "2022-11-28",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")[:300]
            raise GitHubError(
                f"GitHub answered {error.code} to {request.get_method()} {path}: {detail} "
                "(the token needs the deployments permission)"
            ) from None
        except urllib.error.URLError as error:
            raise GitHubError(f"GitHub cannot be reached at {self.api}: {error.reason}") from None


def deployments(github: GitHub, environment: str, count: int = 30) -> list[dict[str, Any]]:
    """The environment's newest deployments, each with its `statuses` (newest first) added."""
    query = urllib.parse.urlencode({"environment": environment, "per_page": count})
    found: list[dict[str, Any]] = github.call(f"deployments?{query}")
    for deployment in found:
        deployment["statuses"] = github.call(f"deployments/{deployment['id']}/statuses")
    return found


def start(github: GitHub, environment: str, ref: str, payload: dict[str, str]) -> int:
    """Create a deployment of `ref` (the release tag) marked in_progress; its id."""
    created = github.call(
        "deployments",
        {
            "ref": ref,
            "environment": environment,
            "payload": payload,
            "description": f"{payload.get('release', ref)} ({payload.get('digest', '')[:19]})",
            "auto_merge": False,
            "required_contexts": [],  # the release's checks passed before its image existed
            "production_environment": environment == "production",
        },
    )
    number = int(created["id"])
    set_state(github, number, "in_progress", "applying the manifests")
    return number


def set_state(github: GitHub, number: int, state: str, description: str) -> None:
    """Add a status to a deployment (success makes GitHub set the older ones inactive)."""
    body: dict[str, Any] = {"state": state, "description": description[:140]}
    run = os.environ.get("GITHUB_RUN_ID")
    if run:  # the workflow run that did it
        server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
        body["log_url"] = f"{server}/{github.repo}/actions/runs/{run}"
    github.call(f"deployments/{number}/statuses", body)
