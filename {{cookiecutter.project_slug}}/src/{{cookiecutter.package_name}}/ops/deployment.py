"""`deployment <action>`: deploy.yml's steps around `kubectl apply`.

- `check`: is a cluster configured (KUBECONFIG_DATA)? If not, say what to set; either way
  `configured=true|false` goes to GITHUB_OUTPUT and the step passes.
- `start --environment E`: record a deployment of RELEASE, its payload read from
  reports/image-digest and reports/image-metadata.json (`make image-metadata`); `id=N` out.
- `finish --id N --state success|failure`: how it ended.
- `rolled-back`: after `make rollback`, the older release deployed again (success) and the one
  it replaced marked inactive.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from {{ cookiecutter.package_name }}.core.files import JsonFileError
from {{ cookiecutter.package_name }}.core.github import GitHubError
from {{ cookiecutter.package_name }}.core.records import (
    RollbackReport,
    load_serving_metadata,
)
from {{ cookiecutter.package_name }}.ops import actions
from {{ cookiecutter.package_name }}.ops.github_deployments import (
    Repository,
    set_state,
    start,
)
from {{ cookiecutter.package_name }}.ops.pin_image import (
    DeployInputError,
    checked_digest,
)
from {{ cookiecutter.package_name }}.ops.rollback import REPORT

log = logging.getLogger(__name__)

DIGEST_FILE = Path("reports/image-digest")
METADATA_FILE = Path("reports/image-metadata.json")
NOT_CONFIGURED = """\
No cluster is configured, so nothing was deployed (and nothing failed).
To deploy each release, give each GitHub environment (Settings -> Environments) its cluster:
  - `staging` and `production`: the secret KUBECONFIG, a kubeconfig whose user may apply the
    overlay's kinds in its namespace (gh secret set KUBECONFIG --env production < kubeconfig)
  - optional variables: DEPLOY_OVERLAY (plain, argo-canary, gateway-canary, gateway-shadow;
    default plain) and SMOKE_URL (the service's address; else a kubectl port-forward is used)
  - `production`: required reviewers, to approve each release before it reaches production
README, "Deploy", says what each overlay needs in the cluster."""


def output(**values: str) -> None:
    """Step outputs for the workflow (GITHUB_OUTPUT), and the same lines on stdout."""
    lines = "".join(f"{key}={value}\n" for key, value in values.items())
    sys.stdout.write(lines)
    actions.append("GITHUB_OUTPUT", lines)


def check() -> int:
    """configured=true when KUBECONFIG_DATA holds a kubeconfig; else explain, and still pass."""
    configured = bool(os.environ.get("KUBECONFIG_DATA", "").strip())
    if not configured:
        log.warning(NOT_CONFIGURED)
        summary = f"## Deploy: no cluster configured\n\n```\n{NOT_CONFIGURED}\n```\n"
        actions.append("GITHUB_STEP_SUMMARY", summary)
    output(configured=str(configured).lower())
    return 0


def payload(release: str) -> dict[str, str]:
    """What a deployment records: the release, its image's digest, and the model it serves."""
    if not release:
        raise DeployInputError("RELEASE is not set: give the release tag being deployed")
    try:
        digest = checked_digest(DIGEST_FILE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DeployInputError(f"{DIGEST_FILE} is missing: run `make image-metadata`") from None
    metadata = load_serving_metadata(METADATA_FILE)
    return {
        "release": release,
        "digest": digest,
        "registered_model": metadata.registered_model,
        "version": metadata.version,
        "run_id": metadata.run_id,
    }


def rolled_back(github: Repository) -> None:
    """Record `make rollback`'s report: the older release live again, the newer inactive."""
    report = RollbackReport.load(REPORT)
    before, after = report.rolled_back, report.restored
    number = start(github, report.environment, after.release, after.payload())
    set_state(github, number, "success", f"rollback from {before.release}")
    set_state(github, before.deployment, "inactive", f"rolled back to {after.release}")
    print(f"deployment: {after.release} deployed again ({number}), {before.release} inactive")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One sub-command per step of deploy.yml."""
    actions = parser.add_subparsers(dest="action", required=True, metavar="<action>")
    actions.add_parser("check", help="is a cluster configured? (KUBECONFIG_DATA)")
    started = actions.add_parser("start", help="record a deployment of RELEASE")
    started.add_argument("--environment", required=True, help="staging or production")
    finished = actions.add_parser("finish", help="record how a deployment ended")
    finished.add_argument("--id", type=int, required=True, help="the deployment's id")
    finished.add_argument("--state", choices=("success", "failure"), required=True)
    actions.add_parser("rolled-back", help=f"record {REPORT} (after make rollback)")


def run(args: argparse.Namespace) -> int:
    """Exit 2 with the reason when an input is missing or GitHub refuses."""
    if args.action == "check":
        return check()
    try:
        github = Repository.from_env()
        if args.action == "start":
            release = os.environ.get("RELEASE", "")
            number = start(github, args.environment, release, payload(release))
            output(id=str(number))
        elif args.action == "finish":
            set_state(github, args.id, args.state, f"deploy.yml: {args.state}")
        else:
            rolled_back(github)
    except (DeployInputError, GitHubError, JsonFileError) as error:
        log.error(f"deployment: {error}")
        return 2
    return 0
