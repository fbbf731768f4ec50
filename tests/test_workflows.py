"""GitHub Actions files, of the generated project and of the template, pass every check.

The checkers (tests/workflow_checks.py) run offline once installed: actionlint, zizmor,
check-jsonschema's vendored schemas, shellcheck on every run block, and no `${{` in `run:`.
The rest are the template's own rules: pinned actions, least permissions, a timeout and a
concurrency group on every job, one short command per run step, no caches where images are
published, and required checks that name real jobs. (That code owners review all the gate
imports is the generated project's tests/test_code_owners.py.)
"""

from __future__ import annotations

import json
import re
import runpy
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from . import workflow_checks
from .conftest import TEMPLATE, bake
from .workflow_harness import Workflow, on_of

USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<comment>.*)$", re.M)
PINNED = re.compile(r"^(?P<action>[\w.-]+/[\w.-]+)(?:/[\w./-]+)?@(?P<sha>[0-9a-f]{40})$")
VERSION_COMMENT = re.compile(r"# v\d+\.\d+\.\d+")
# What a run step may be: one make target, one uv command, or one short plain command.
ONE_COMMAND = re.compile(r"^(make [a-z-]+|uv run .+|bash \.ci/run|gh release create .+|.{1,80})$")
PUBLISHING_JOBS = {("ci.yml", "publish"), ("release.yml", "release")}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bake(tmp_path_factory.mktemp("workflows"), offline=True)


@pytest.fixture(scope="module", params=["generated", "template"])
def repository(request: pytest.FixtureRequest, project: Path) -> Path:
    """A repository root with a .github folder: the generated project, or the template."""
    return project if request.param == "generated" else TEMPLATE


def workflows(root: Path) -> dict[str, Workflow]:
    return {p.name: yaml.safe_load(p.read_text()) for p in workflow_checks.workflow_files(root)}


@pytest.mark.parametrize("check", list(workflow_checks.CHECKS))
def test_no_findings(repository: Path, check: str) -> None:
    assert workflow_checks.workflow_files(repository), "no workflow files"

    findings = workflow_checks.CHECKS[check](repository)

    assert [str(f) for f in findings] == []


def pins() -> dict[str, set[tuple[str, str]]]:
    """Every action's pins, (SHA, `# vX.Y.Z` comment), in both folders' workflows.

    The template's own workflows and the generated project's, read from the files, which Dependabot
    updates (one grouped pull request for both folders: .github/dependabot.yml), so no table here
    goes stale.
    """
    generated = TEMPLATE / "{{cookiecutter.project_slug}}"
    found: dict[str, set[tuple[str, str]]] = {}
    for path in workflow_checks.workflow_files(TEMPLATE) + workflow_checks.workflow_files(
        generated
    ):
        for match in USES.finditer(path.read_text()):
            pinned = PINNED.match(match["ref"])
            assert pinned, f"{path.name}: {match['ref']} is not pinned to a full commit SHA"
            comment = match["comment"].strip()
            assert VERSION_COMMENT.fullmatch(comment), (
                f"{path.name}: {match['ref']} needs `# vX.Y.Z`"
            )
            found.setdefault(pinned["action"], set()).add((pinned["sha"], comment))
    return found


def test_every_action_is_pinned_to_one_release_sha_everywhere() -> None:
    """A pin Dependabot moved in one workflow and not in another is caught here."""
    found = pins()

    assert {"actions/checkout", "actions/upload-artifact", "astral-sh/setup-uv"} <= set(found)
    assert {action: sorted(p) for action, p in found.items() if len(p) > 1} == {}


def test_the_template_dependabot_keeps_both_folders_pins_current() -> None:
    config = yaml.safe_load((TEMPLATE / ".github" / "dependabot.yml").read_text())
    actions = next(u for u in config["updates"] if u["package-ecosystem"] == "github-actions")
    ecosystems = {u["package-ecosystem"] for u in config["updates"]}

    assert set(actions["directories"]) == {"/", "/{{cookiecutter.project_slug}}/.github/workflows"}
    assert actions["groups"]["actions"]["patterns"] == ["*"]  # one pull request for both
    assert {"github-actions", "uv", "docker"} <= ecosystems  # actions, dev tools, base image


def test_every_job_has_least_permissions_a_timeout_and_a_concurrency_group(
    repository: Path,
) -> None:
    for name, workflow in workflows(repository).items():
        assert workflow["permissions"] == {}, name
        assert "pull_request_target" not in on_of(workflow), name
        for job_id, job in workflow["jobs"].items():
            where = f"{name}: job {job_id}"
            assert isinstance(job.get("permissions"), dict), where
            assert "write-all" not in json.dumps(job["permissions"]), where
            assert isinstance(job.get("timeout-minutes"), int), where
            assert job.get("concurrency", {}).get("group"), where
            for step in job.get("steps", []):
                if str(step.get("uses", "")).startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, where


def test_job_permissions_say_why(repository: Path) -> None:
    for path in workflow_checks.workflow_files(repository):
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines):
            if line.strip() != "permissions:":
                continue
            indent = len(line) - len(line.lstrip())
            for scope in lines[number + 1 :]:
                if len(scope) - len(scope.lstrip()) <= indent:
                    break
                assert "#" in scope, f"{path.name}: say why the job needs {scope.strip()!r}"


def test_run_steps_are_one_short_command(repository: Path) -> None:
    for name, workflow in workflows(repository).items():
        for job_id, job in workflow["jobs"].items():
            for step in job.get("steps", []):
                if "run" in step:
                    run = step["run"].strip()
                    assert "\n" not in run, f"{name}: job {job_id}: {run!r}"
                    assert ONE_COMMAND.match(run), f"{name}: job {job_id}: {run!r}"


def test_make_targets_used_in_workflows_exist(project: Path) -> None:
    makefile = (project / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.M))
    for name, workflow in workflows(project).items():
        for job in workflow["jobs"].values():
            for step in job.get("steps", []):
                used = re.match(r"make ([a-z-]+)$", step.get("run", ""))
                if used:
                    assert used[1] in targets, f"{name}: `make {used[1]}` is not a target"


def test_no_caches_where_images_are_published(project: Path) -> None:
    found = workflows(project)
    for name, job_id in PUBLISHING_JOBS:
        for step in found[name]["jobs"][job_id]["steps"]:
            uses, inputs = str(step.get("uses", "")), step.get("with") or {}
            assert not uses.startswith("actions/cache"), f"{name}: {job_id}"
            assert "cache-from" not in inputs, f"{name}: {job_id}: {uses}"
            assert "cache-to" not in inputs, f"{name}: {job_id}: {uses}"
            if uses.startswith("astral-sh/setup-uv"):
                assert inputs.get("enable-cache") is False, f"{name}: {job_id}: {uses}"


def test_workflows_are_copied_without_rendering(project: Path) -> None:
    for path in workflow_checks.workflow_files(project):
        source = TEMPLATE / "{{cookiecutter.project_slug}}" / ".github" / "workflows" / path.name
        assert path.read_bytes() == source.read_bytes(), path.name


def test_the_ruleset_requires_only_the_check_that_cannot_be_skipped(project: Path) -> None:
    """Only `Required` is a required check, and it knows what each job must end as.

    GitHub passes a skipped required check, and a failure or skip anywhere up a `needs` chain skips
    the jobs below; `Required` needs every job and always runs.
    """
    ruleset = json.loads((project / ".github" / "rulesets" / "main.json").read_text())
    rules = {rule["type"]: rule.get("parameters", {}) for rule in ruleset["rules"]}
    required = {
        check["context"] for check in rules["required_status_checks"]["required_status_checks"]
    }
    jobs = workflows(project)["ci.yml"]["jobs"]
    by_name = {job["name"]: job_id for job_id, job in jobs.items()}
    expected = runpy.run_path(str(project / "scripts" / "required_checks.py"))["EXPECTED"]

    assert ruleset["enforcement"] == "active"
    assert rules["pull_request"]["require_code_owner_review"] is True
    assert rules["pull_request"]["required_approving_review_count"] >= 1
    assert rules["pull_request"]["require_last_push_approval"] is True
    assert required == {"Required"}
    assert set(required) <= set(by_name)
    aggregate = jobs[by_name["Required"]]
    assert aggregate["if"] == "${{ !cancelled() }}"  # runs after failures and skips
    assert set(aggregate["needs"]) == set(jobs) - {by_name["Required"]}
    assert set(expected) == set(aggregate["needs"])
    assert "merge_group" in on_of(workflows(project)["ci.yml"])  # the queue gets the check


def mutate(path: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        target = root / path
        text = target.read_text()
        assert old in text, f"{old!r} not in {path}"
        target.write_text(text.replace(old, new, 1))

    return apply


CI = ".github/workflows/ci.yml"
RELEASE = ".github/workflows/release.yml"
CHECKOUT = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"
MISTAKES = {  # a mistake -> (how to make it, checks that must report it)
    "unpinned action": (mutate(CI, CHECKOUT, "actions/checkout@v7"), ["zizmor"]),
    "no job timeout": (mutate(CI, "    timeout-minutes: 15\n", ""), ["check-jsonschema"]),
    "expression in run": (
        mutate(CI, "run: make lint", 'run: echo "${{ github.event.pull_request.title }}"'),
        ["zizmor", "run-expressions"],
    ),
    "unquoted variable": (
        mutate(CI, '>> "$GITHUB_STEP_SUMMARY"', ">> $GITHUB_STEP_SUMMARY"),
        ["shellcheck"],
    ),
    "unknown job in needs": (
        mutate(CI, "needs: [lint, test, gate, image]", "needs: [lint, tests]"),
        ["actionlint"],
    ),
    "credentials persisted": (
        mutate(
            CI,
            "        with:\n          persist-credentials: false\n      - name: Set up uv",
            "      - name: Set up uv",
        ),
        ["zizmor"],
    ),
    "cache in a release": (
        mutate(RELEASE, "enable-cache: false", "enable-cache: true"),
        ["zizmor"],
    ),
    "no dependabot cooldown": (
        mutate(
            ".github/dependabot.yml",
            "    cooldown:\n      default-days: 7\n    groups:\n      actions:",
            "    groups:\n      actions:",
        ),
        ["zizmor"],
    ),
    "unknown dependabot ecosystem": (
        mutate(".github/dependabot.yml", "package-ecosystem: docker", "package-ecosystem: dockr"),
        ["check-jsonschema"],
    ),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_checks_report_a_planted_mistake(mistake: str, project: Path, tmp_path: Path) -> None:
    make_mistake, reporters = MISTAKES[mistake]
    shutil.copytree(project / ".github", tmp_path / ".github")
    make_mistake(tmp_path)

    results = workflow_checks.run_all(tmp_path, reporters)

    assert all(results.values()), {name: len(found) for name, found in results.items()}
