"""`make rollback`: production back to the release before, and the MLflow `champion` with it.

What ran where is GitHub's record of deployments: deploy.yml creates one per release and
environment, its payload naming the release, the image digest and the registered model
version the image serves, and gives it statuses (success, failure, inactive). The release to
return to is the newest production deployment older than the current one that reached
`success` with another digest: a release that never worked is skipped, and so is a re-deploy
of the same image. Its digest is written into deploy/base/kustomization.yaml (deploy.yml then
applies it), `champion` moves back to its model version, and reports/rollback.json says from
what to what.

    {{ cookiecutter.project_slug }} rollback [--history FILE | --repo OWNER/NAME]
        [--environment production] [--kustomization FILE] [--keep-champion]
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }}.core.github import GitHubError
from {{ cookiecutter.package_name }}.core.records import (
    RollbackReport,
    RolledDeployment,
)
from {{ cookiecutter.package_name }}.ops.github_deployments import (
    Repository,
    deployments,
)
from {{ cookiecutter.package_name }}.ops.pin_image import (
    BASE,
    DeployInputError,
    digest_in,
    read_kustomization,
    set_digest,
)

log = logging.getLogger(__name__)

ENVIRONMENT = "production"
REPORT = Path("reports/rollback.json")
MODEL_KEYS = ("registered_model", "version", "run_id")


@dataclass(frozen=True)
class Deployment:
    """One of GitHub's deployments: its payload (deploy.yml's) and its statuses' states."""

    id: int
    created_at: str
    payload: dict[str, str]
    states: tuple[str, ...]  # newest first, as GitHub lists them

    @property
    def release(self) -> str:
        """The release tag it deployed (its id when the payload has none)."""
        return self.payload.get("release", f"deployment {self.id}")

    @property
    def digest(self) -> str:
        """The image digest it deployed."""
        return self.payload.get("digest", "")


def from_github(records: list[dict[str, Any]]) -> list[Deployment]:
    """Deployments, newest first, from GitHub's JSON (each with its `statuses` list added)."""
    found = []
    for record in records:
        payload = record.get("payload") or {}
        if isinstance(payload, str):  # GitHub returns a payload sent as a string unparsed
            payload = json.loads(payload) if payload.strip() else {}
        # Text, as the payload was sent (an MLflow version may come back as 3); a null (an
        # unregistered model's version) stays absent, so model_of names it missing.
        payload = {str(key): str(value) for key, value in payload.items() if value is not None}
        states = tuple(str(status["state"]) for status in record.get("statuses", []))
        found.append(Deployment(int(record["id"]), str(record["created_at"]), payload, states))
    return sorted(found, key=lambda one: (one.created_at, one.id), reverse=True)


def choose(deployments: list[Deployment]) -> tuple[Deployment, Deployment]:
    """The current deployment (the newest) and the one to return to."""
    if not deployments:
        raise DeployInputError("no deployment is recorded: nothing runs that could be rolled back")
    current, *older = deployments
    for candidate in older:
        if "success" in candidate.states and candidate.digest not in ("", current.digest):
            return current, candidate
    raise DeployInputError(
        f"no earlier deployment than {current.release} reached success with another image: "
        "there is no release to return to"
    )


def history(args: argparse.Namespace) -> list[dict[str, Any]]:
    """--history's JSON, else GitHub's record (GITHUB_REPOSITORY or --repo, and GH_TOKEN)."""
    if args.history:
        records: list[dict[str, Any]] = json.loads(args.history.read_text(encoding="utf-8"))
        return records
    return deployments(Repository.from_env(args.repo), args.environment)


def model_of(deployment: Deployment) -> tuple[str, str, str]:
    """Registered model, version and run of the image a deployment ran (deploy.yml's payload)."""
    missing = [key for key in MODEL_KEYS if not deployment.payload.get(key)]
    if missing:
        raise DeployInputError(
            f"{deployment.release}'s deployment names no model ({', '.join(missing)} missing): "
            "move champion by hand, or pass --keep-champion"
        )
    name, version, run_id = (deployment.payload[key] for key in MODEL_KEYS)
    return name, version, run_id


def move_champion(back_to: Deployment, rolled_back: Deployment) -> str:
    """Point `champion` at the model version the older release serves; the store's URI."""
    from {{ cookiecutter.package_name }}.core.params import load_params
    from {{ cookiecutter.package_name }}.core.settings import TrackingSettings
    from {{ cookiecutter.package_name }}.tracking.registry import set_champion

    tracking = TrackingSettings.from_env().applied_to(load_params().mlflow)
    tags = {"release": back_to.release, "rolled_back_from": rolled_back.release}
    return set_champion(*model_of(back_to), tags, tracking)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the deployments are read from, and what is changed."""
    parser.add_argument("--history", type=Path, help="GitHub's deployments as JSON (a file)")
    parser.add_argument("--repo", help="OWNER/NAME on GitHub (default: GITHUB_REPOSITORY)")
    parser.add_argument("--environment", default=ENVIRONMENT, help="GitHub environment")
    parser.add_argument("--kustomization", type=Path, default=BASE, help="the file to edit")
    parser.add_argument(
        "--keep-champion", action="store_true", help="leave the MLflow alias where it is"
    )


def run(args: argparse.Namespace) -> int:
    """Exit 2 with the reason when there is nothing to return to; nothing is changed then."""
    try:
        current, target = choose(from_github(history(args)))
        digest_in(read_kustomization(args.kustomization), args.kustomization)
        if not args.keep_champion:
            model_of(target)
    except (DeployInputError, GitHubError) as error:
        log.error(f"rollback: {error}")
        return 2
    if not args.keep_champion:  # first: the registry may refuse the version (RegistryError)
        uri = move_champion(target, current)
        print(f"rollback: champion is {target.payload['version']} again in {uri}")
    set_digest(args.kustomization, target.digest)
    print(f"rollback: {args.kustomization} runs {target.release} ({target.digest}) again")
    RollbackReport(
        environment=args.environment, rolled_back=recorded(current), restored=recorded(target)
    ).save(REPORT)
    return 0


def recorded(deployment: Deployment) -> RolledDeployment:
    """The deployment as the rollback report names it."""
    return RolledDeployment(
        deployment=deployment.id,
        release=deployment.release,
        digest=deployment.digest,
        registered_model=deployment.payload.get("registered_model"),
        version=deployment.payload.get("version"),
        run_id=deployment.payload.get("run_id"),
    )
