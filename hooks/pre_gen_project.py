"""Reject bad template answers before anything is written.

Cookiecutter removes the half-made project directory when this hook exits non-zero,
so a rejected answer leaves nothing on disk. Every message names the answer and the fix.
Choice answers (task, model, python_version, license) are checked by cookiecutter itself.
"""

from __future__ import annotations

import json
import keyword
import re
import sys

ANSWERS: dict[str, str] = json.loads(r"""{{ cookiecutter | tojson }}""")

SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
UNQUOTABLE = ('"', "\\", "\n", "\r")
GITHUB_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
TEAM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# DVC remotes: the bucket (or container) naming rules of each cloud, then an optional prefix.
# (Plain strings, not f-strings: this file is rendered by Jinja, which owns double braces.)
PREFIX = r"(/[A-Za-z0-9._/-]*)?$"
REMOTES = {
    "s3": re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]" + PREFIX),
    "gs": re.compile(r"^gs://[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]" + PREFIX),
    "azure": re.compile(r"^azure://[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}" + PREFIX),
}
REMOTE_FORMS = (
    "none, s3://bucket/prefix, gs://bucket/prefix, azure://container/prefix or an absolute "
    "path (for example /mnt/shared/dvc-storage)"
)


def is_code_owner(owner: str) -> bool:
    """A CODEOWNERS owner: @user, @org/team or an email address."""
    if EMAIL.match(owner):
        return True
    name, _, team = owner.removeprefix("@").partition("/")
    return (
        owner.startswith("@")
        and bool(GITHUB_OWNER.match(name))
        and (not team or bool(TEAM.match(team)))
    )


def remote_problem(remote: str) -> str | None:
    """Why `remote` is not a DVC remote the template can set up, or None if it is."""
    scheme, separator, _ = remote.partition("://")
    if remote == "none":
        return None
    if separator and scheme in REMOTES:
        if REMOTES[scheme].match(remote):
            return None
        azure = scheme == "azure"
        what, marks = ("container", "hyphens") if azure else ("bucket", "hyphens or dots")
        return (
            f"dvc_remote={remote!r} is not a valid {scheme}:// URL: the {what} name takes 3 to "
            f"63 lowercase letters, digits and {marks}; "
            "the prefix after it letters, digits, '.', '_', '-' and '/' "
            f"(for example '{scheme}://my-{what}/customer-churn')."
        )
    if separator:
        return (
            f"dvc_remote={remote!r} uses a scheme this template does not set up: "
            f"use {REMOTE_FORMS}."
        )
    return folder_problem(remote)


def folder_problem(remote: str) -> str | None:
    """Why `remote`, a folder, is not one DVC and the generated files can use, or None."""
    if not remote.startswith("/"):
        return (
            f"dvc_remote={remote!r} is not an absolute path (DVC would resolve it from .dvc/): "
            f"use {REMOTE_FORMS}."
        )
    if any(char.isspace() or char in UNQUOTABLE for char in remote):
        return (
            f"dvc_remote={remote!r} contains a space, quote, backslash or line break: choose a "
            "path without them."
        )
    return None


def problems(answers: dict[str, str]) -> list[str]:
    """Return one message per bad answer, each naming the answer and how to fix it."""
    found = []
    slug = answers["project_slug"]
    if not SLUG.match(slug):
        found.append(
            f"project_slug={slug!r} is not kebab-case: use lowercase letters, digits and "
            "single hyphens, starting with a letter (for example 'customer-churn')."
        )
    package = answers["package_name"]
    if not package.isidentifier() or package != package.lower():
        found.append(
            f"package_name={package!r} is not a lowercase Python identifier: use letters, "
            "digits and underscores, starting with a letter (for example 'customer_churn')."
        )
    elif keyword.iskeyword(package) or keyword.issoftkeyword(package):
        found.append(f"package_name={package!r} is a Python keyword: choose another name.")
    elif package in sys.stdlib_module_names or package in {"test", "tests"}:
        found.append(
            f"package_name={package!r} shadows the standard-library module {package!r}: "
            f"choose a more specific name (for example '{package}_model')."
        )
    if not EMAIL.match(answers["author_email"]):
        found.append(
            f"author_email={answers['author_email']!r} is not an email address: "
            "use the form name@example.com."
        )
    if not GITHUB_OWNER.match(answers["github_owner"]):
        found.append(
            f"github_owner={answers['github_owner']!r} is not a GitHub user or organisation "
            "name: use letters, digits and single hyphens, at most 39 characters."
        )
    owners = answers["code_owners"].split()
    if not owners or not all(is_code_owner(owner) for owner in owners):
        found.append(
            f"code_owners={answers['code_owners']!r} is not a list of CODEOWNERS owners: use "
            "@user, @org/team or an email address, separated by spaces (for an organisation, "
            "name a team: '@acme/ml-reviewers')."
        )
    remote = remote_problem(answers["dvc_remote"])
    if remote:
        found.append(remote)
    if not answers["project_name"].strip():
        found.append("project_name is empty: give the project a human-readable name.")
    for name in ("project_name", "description", "author_name"):
        if any(char in answers[name] for char in UNQUOTABLE):
            found.append(
                f"{name}={answers[name]!r} contains a double quote, backslash or line break, "
                "which would break pyproject.toml: leave them out."
            )
    return found


def main() -> int:
    """Print every bad answer; non-zero when there is one."""
    found = problems(ANSWERS)
    for message in found:
        print(f"ERROR: {message}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
