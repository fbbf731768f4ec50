"""`report-issue open|close`: the one open issue that carries a label, kept as a report says.

monitor.yml and score.yml open the `model-drift` issue when a batch drifts (or update it,
with a comment that it still drifts) and the monitor closes it once a batch shows no drift;
delivery.yml keeps the `delivery-metrics` issue's body current. Each body is the report, then a
footer with the run's address (GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID). Links to
files beside the report (charts) are dead in an issue: they are left out.
"""

from __future__ import annotations

import argparse
import logging
import re
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }}.core.github import GitHub
from {{ cookiecutter.package_name }}.ops import actions
from {{ cookiecutter.package_name }}.ops.github_deployments import Repository

log = logging.getLogger(__name__)

RELATIVE_LINK = re.compile(r" \(\[[^\]]*\]\((?![a-z]+:)[^)]*\)\)")  # " ([chart](x.png))"


def open_issues(github: GitHub, repository: str, label: str) -> list[dict[str, Any]]:
    """The open issues with `label`, oldest last; the issues API lists pull requests too."""
    listed = github.pages(f"/repos/{repository}/issues", {"labels": label, "state": "open"})
    return [item for item in listed if "pull_request" not in item]


def body_of(report: str, footer: str) -> str:
    """The report without its links to files beside it, then the footer."""
    return f"{RELATIVE_LINK.sub('', report)}\n\n{footer}\n"


def open_or_update(
    github: GitHub, repository: str, label: str, *, title: str, body: str, comment: str | None
) -> str:
    """Update the open issue's body (and comment), or open one; what was done."""
    issues = f"/repos/{repository}/issues"
    found = open_issues(github, repository, label)
    if not found:
        created = github.post(issues, {"title": title, "body": body, "labels": [label]})
        return f"opened #{created['number']}"
    number = found[0]["number"]
    github.patch(f"{issues}/{number}", {"body": body})
    if comment:
        github.post(f"{issues}/{number}/comments", {"body": comment})
    return f"updated #{number}"


def close(github: GitHub, repository: str, label: str, comment: str) -> str:
    """Comment on and close every open issue with `label`; what was done."""
    numbers = [item["number"] for item in open_issues(github, repository, label)]
    for number in numbers:
        github.post(f"/repos/{repository}/issues/{number}/comments", {"body": comment})
        closed = {"state": "closed", "state_reason": "completed"}
        github.patch(f"/repos/{repository}/issues/{number}", closed)
    return f"closed {', '.join(f'#{n}' for n in numbers)}" if numbers else "no open issue"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`open` (--title, --report, --footer, --comment) or `close` (--comment), with --label."""
    parser.add_argument("action", choices=("open", "close"))
    parser.add_argument("--label", required=True, help="the label the one issue carries")
    parser.add_argument("--title", default="", help="open: the title of a new issue")
    parser.add_argument("--report", type=Path, help="open: the Markdown report, the body")
    parser.add_argument("--footer", default="Report:", help="open: before the run's address")
    parser.add_argument("--comment", default="", help="a comment, before the run's address")


def run(args: argparse.Namespace) -> int:
    """Open, update or close the issue on GITHUB_REPOSITORY with GITHUB_TOKEN."""
    if not args.label or (args.action == "open" and (args.report is None or not args.title)):
        log.error("report-issue: give --label, and to open: --report <file.md> and --title")
        return 2
    repository = Repository.from_env()
    address = actions.run_url(repository.name)
    if address is None:
        log.error("report-issue: GITHUB_RUN_ID is not set: the footer links the workflow run")
        return 2
    comment = f"{args.comment} {address}" if args.comment else None
    if args.action == "close":
        done = close(repository.github, repository.name, args.label, comment or address)
    else:
        assert args.report is not None  # checked above
        body = body_of(args.report.read_text(encoding="utf-8"), f"{args.footer} {address}")
        github, name = repository.github, repository.name
        done = open_or_update(
            github, name, args.label, title=args.title, body=body, comment=comment
        )
    print(f"report-issue: {args.label}: {done}")
    return 0
