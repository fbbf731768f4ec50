"""Fixtures shared by the workflow-run tests: a project on a stand-in GitHub and a runner."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

from . import buildah, containers
from .github_events import Repository
from .github_repo import GitHubRepo
from .workflow_harness import Runner, image_build

# Mixed case: registries need it lowercased, as GITHUB_REPOSITORY keeps it.
REPOSITORY = Repository("Your-GitHub-User/customer-churn")
IMAGE = f"ghcr.io/{REPOSITORY.full_name.lower()}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def published_project(root: Path, repository: Repository = REPOSITORY) -> GitHubRepo:
    return GitHubRepo.publish(root / "github", repository)


def runner_for(repo: GitHubRepo, root: Path, *, images: bool = False) -> Iterator[Runner]:
    """A hosted runner for `repo`.

    With `images`, one that builds with the container engine (and removes what it built, and what
    its steps tagged from it, afterwards).
    """
    emulators = {}
    built: list[str] = []
    if images:
        containers.ensure_tools()
        base = containers.ensure_base_image() if containers.engine() == "buildah" else None
        emulators["docker/build-push-action"] = image_build(base, built)
    runner = Runner(root, repo.origin, env={"SMOKE_PORT": str(free_port())}, emulators=emulators)
    yield runner
    digests = {containers.image_digest(tag) for tag in built if containers.image_exists(tag)}
    for tag in list_images(IMAGE) + built:
        if containers.image_exists(tag) and containers.image_digest(tag) in digests:
            containers.remove_image(tag)


def list_images(prefix: str) -> list[str]:
    if containers.engine() == "buildah":
        found = buildah._run(["buildah", "images", "--format", "{{.Name}}:{{.Tag}}"])
    else:
        found = containers._docker("images", "--format", "{{.Repository}}:{{.Tag}}")
    return [line for line in found.stdout.split() if line.startswith(prefix)]
