"""`pull-request-refused`: say how to let a workflow open its pull request, and fail the step.

retrain.yml and template-update.yml run this when GitHub refused their pull request. With the
workflow's own token that needs one repository setting (off by default); a change to
.github/workflows/ needs a token with the Workflows permission, stored as the secret the
workflow names (`--secret`).
"""

from __future__ import annotations

import argparse
import logging

from {{ cookiecutter.package_name }}.ops import actions

log = logging.getLogger(__name__)

HOW = """\
GitHub refused the pull request. With the workflow's own token this needs one repository
setting (off by default):
  Settings -> Actions -> General -> Workflow permissions ->
  tick "Allow GitHub Actions to create and approve pull requests", then re-run this job.
  (CLI: gh api --method PUT repos/OWNER/REPO/actions/permissions/workflow
   -F can_approve_pull_request_reviews=true)
A change to .github/workflows/ can never be pushed with the workflow's own token. Store a
fine-grained token (Contents, Pull requests and Workflows: read and write) as the secret
{secret}: the pull request is then opened with it, and CI runs on it."""


def explain(secret: str) -> tuple[str, str, str]:
    """The annotation (a workflow command), the log message and the job summary's section."""
    annotation = (
        "::error title=Pull request refused::GitHub refused the pull request: allow Actions to "
        f"create pull requests (Settings -> Actions -> General) or set the secret {secret}"
    )
    how = HOW.format(secret=secret)
    return annotation, how, f"## Pull request refused\n\n```\n{how}\n```\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--secret: the secret the workflow uses instead of its own token when set."""
    parser.add_argument("--secret", default="RETRAIN_TOKEN", help="the token secret to name")


def run(args: argparse.Namespace) -> int:
    """Explain on stdout (the annotation), stderr and the job summary; exit 1: it was refused."""
    annotation, how, summary = explain(args.secret)
    print(annotation)
    log.error(how)
    actions.append("GITHUB_STEP_SUMMARY", summary)
    return 1
