"""Fixtures shared by the workflow-run tests: a project on a stand-in GitHub and a runner."""

from __future__ import annotations

import importlib.util
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from . import buildah, containers
from .conftest import TEMPLATE
from .github_events import DEFAULT_TOKEN, Event, Repository
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


def generated_module(path: Path) -> ModuleType:
    """A module of the generated project's tests, imported from the template (no package)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


STAND_IN = TEMPLATE / "{{cookiecutter.project_slug}}" / "tests" / "ops" / "github_stand_in.py"


@contextmanager
def github_api(event: Event, answers: dict[str, Any]) -> Iterator[list[tuple[str, str, Any]]]:
    """GitHub's REST API for `event`'s run, on loopback: the generated project's stand-in.

    It answers `answers` ("GET /repos/o/r/issues": JSON); yields the calls it got.
    """
    stand_in = generated_module(STAND_IN)
    state = stand_in.Answers(answers)
    with stand_in.github(state=state, token=DEFAULT_TOKEN) as (url, _):
        event.extra["api_url"] = url
        yield state.calls
