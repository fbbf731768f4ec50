"""GitHub's record of deployments, read and written through its REST API.

deploy.yml creates one deployment per release and environment and gives it statuses
(in_progress, then success or failure; inactive when a rollback replaces it), so delivery
metrics can be read back from `GET /repos/{owner}/{repo}/deployments?environment=production`
and each one's `/statuses`. The payload names the image digest and the model version the image
serves: what `make rollback` needs to return to it.
"""

from __future__ import annotations

import os
import urllib.parse
from dataclasses import dataclass
from typing import Any

from {{ cookiecutter.package_name }}.core.github import GitHub, GitHubError
from {{ cookiecutter.package_name }}.ops import actions

API = "https://api.github.com"


@dataclass(frozen=True)
class Repository:
    """One repository on GitHub's REST API (core/github.py), with a token."""

    name: str  # owner/name
    github: GitHub

    @classmethod
    def from_env(cls, repo: str | None = None) -> Repository:
        """GITHUB_REPOSITORY, GH_TOKEN (else GITHUB_TOKEN) and GITHUB_API_URL, as Actions sets."""
        repo = repo or os.environ.get("GITHUB_REPOSITORY", "")
        token = os.environ.get("GH_TOKEN") or os.environ.get("GITHUB_TOKEN", "")
        if not repo or not token:
            raise GitHubError(
                "name the repository (GITHUB_REPOSITORY=owner/name) and give a token in "
                "GH_TOKEN (deployments: read, or write to record them)"
            )
        return cls(repo, GitHub(os.environ.get("GITHUB_API_URL", API), token))

    def call(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """GET `path` of the repository, or POST `body` to it; the JSON answer."""
        url = f"/repos/{self.name}/{path}"
        return self.github.get(url) if body is None else self.github.post(url, body)


def deployments(github: Repository, environment: str, count: int = 30) -> list[dict[str, Any]]:
    """The environment's newest deployments, each with its `statuses` (newest first) added."""
    query = urllib.parse.urlencode({"environment": environment, "per_page": count})
    found: list[dict[str, Any]] = github.call(f"deployments?{query}")
    for deployment in found:
        deployment["statuses"] = github.call(f"deployments/{deployment['id']}/statuses")
    return found


def start(github: Repository, environment: str, ref: str, payload: dict[str, str]) -> int:
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


def set_state(github: Repository, number: int, state: str, description: str) -> None:
    """Add a status to a deployment (success makes GitHub set the older ones inactive)."""
    body: dict[str, Any] = {"state": state, "description": description[:140]}
    log_url = actions.run_url(github.name)
    if log_url:  # the workflow run that did it
        body["log_url"] = log_url
    github.call(f"deployments/{number}/statuses", body)
