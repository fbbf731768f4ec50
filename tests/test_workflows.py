"""GitHub Actions files, of the generated project and of the template, pass every check.

The checkers (tests/workflow_checks.py) run offline once installed: actionlint, zizmor,
check-jsonschema's vendored schemas, shellcheck on every run block, and no `${{` in `run:`.
The rest are the template's own rules: pinned actions, least permissions, a timeout and a
concurrency group on every job, one short command per run step, no caches where images are
published, and required checks that name real jobs.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from . import workflow_checks
from .conftest import TEMPLATE, bake

# Full commit SHA of the newest vX.Y.Z release of each action, as read from the actions'
# repositories (re-check with `git ls-remote https://github.com/OWNER/REPO refs/tags/TAG`).
# Dependabot proposes newer pins; update this table in the same change.
PINS: dict[str, tuple[str, str]] = {
    "actions/checkout": ("v7.0.1", "3d3c42e5aac5ba805825da76410c181273ba90b1"),
    "actions/setup-python": ("v7.0.0", "5fda3b95a4ea91299a34e894583c3862153e4b97"),
    "actions/upload-artifact": ("v7.0.0", "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f"),
    "actions/download-artifact": ("v8.0.1", "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c"),
    "actions/cache": ("v5.0.5", "27d5ce7f107fe9357f9df03efb73ab90386fccae"),
    "actions/attest-build-provenance": ("v4.1.0", "a2bbfa25375fe432b6a289bc6b6cd05ecd0c4c32"),
    "actions/github-script": ("v8.0.0", "ed597411d8f924073f98dfc5c65a23a2325f34cd"),
    "astral-sh/setup-uv": ("v10.0.1", "20cfd1bf945f4377ade1205e4dbc17946fc9a30d"),
    "docker/setup-buildx-action": ("v4.3.0", "37fe631027851001ddb9b187196cc803df7f5f0e"),
    "docker/setup-qemu-action": ("v4.2.0", "96fe6ef7f33517b61c61be40b68a1882f3264fb8"),
    "docker/login-action": ("v4.1.0", "4907a6ddec9925e35a0a9e82d7399ccc52663121"),
    "docker/metadata-action": ("v6.2.0", "dc802804100637a589fabce1cb79ff13a1411302"),
    "docker/build-push-action": ("v7.3.0", "53b7df96c91f9c12dcc8a07bcb9ccacbed38856a"),
    "peter-evans/create-pull-request": ("v8.1.1", "5f6978faf089d4d20b00c7766989d076bb2fc7f1"),
    "marocchino/sticky-pull-request-comment": (
        "v3.0.5",
        "5770ad5eb8f42dd2c4f34da00c94c5381e49af88",
    ),
    "iterative/setup-dvc": ("v1.1.2", "2508d098217d24eef3c0e8d7bc0ce7b9ca0723c3"),
    "softprops/action-gh-release": ("v3.0.0", "b4309332981a82ec1c5618f44dd2e27cc8bfbfda"),
    "anchore/sbom-action": ("v0.24.0", "e22c389904149dbc22b58101806040fa8d37a610"),
    "sigstore/cosign-installer": ("v4.1.2", "6f9f17788090df1f26f669e9d70d6ae9567deba6"),
    "github/codeql-action": ("v4.36.2", "8aad20d150bbac5944a9f9d289da16a4b0d87c1e"),
    # OIDC sign-in for the DVC remote (issue 12); azure/login: its widely pinned v2 release.
    "aws-actions/configure-aws-credentials": (
        "v6.2.3",
        "e6de054238d6b7531b4efff3b6587d9aade6a06c",
    ),
    "google-github-actions/auth": ("v3.0.0", "7c6bc770dae815cd3e89ee6cdf493a5fab2cc093"),
    "azure/login": ("v2.3.0", "a457da9ea143d694b1b9c7c869ebb04ebe844ef5"),
}
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<comment>.*)$", re.M)
PINNED = re.compile(r"^(?P<action>[\w.-]+/[\w.-]+)(?:/[\w./-]+)?@(?P<sha>[0-9a-f]{40})$")
# What a run step may be: one make target, one uv command, or one short plain command.
ONE_COMMAND = re.compile(r"^(make [a-z-]+|uv run .+|bash \.ci/run|gh release create .+|.{1,80})$")
PUBLISHING_JOBS = {("ci.yml", "publish"), ("release.yml", "release")}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return bake(tmp_path_factory.mktemp("workflows"), offline=True)


@pytest.fixture(scope="module", params=["generated", "template"])
def repository(request, project) -> Path:
    """A repository root with a .github folder: the generated project, or the template."""
    return project if request.param == "generated" else TEMPLATE


def workflows(root: Path) -> dict[str, dict]:
    return {p.name: yaml.safe_load(p.read_text()) for p in workflow_checks.workflow_files(root)}


def triggers(workflow: dict) -> dict:
    return workflow.get("on", workflow.get(True)) or {}  # YAML 1.1 reads a bare `on` as True


@pytest.mark.parametrize("check", list(workflow_checks.CHECKS))
def test_no_findings(repository, check):
    assert workflow_checks.workflow_files(repository), "no workflow files"

    findings = workflow_checks.CHECKS[check](repository)

    assert [str(f) for f in findings] == []


def test_every_action_is_pinned_to_a_known_release_sha(repository):
    uses = [
        (path.name, match)
        for path in workflow_checks.workflow_files(repository)
        for match in USES.finditer(path.read_text())
    ]
    assert uses
    for name, match in uses:
        pinned = PINNED.match(match["ref"])
        assert pinned, f"{name}: {match['ref']} is not pinned to a full commit SHA"
        assert pinned["action"] in PINS, f"{name}: {pinned['action']} is not in the pin table"
        tag, sha = PINS[pinned["action"]]
        assert pinned["sha"] == sha, f"{name}: {match['ref']} is not the SHA of {tag}"
        assert match["comment"].strip() == f"# {tag}", f"{name}: {match['ref']} needs `# {tag}`"


def test_every_job_has_least_permissions_a_timeout_and_a_concurrency_group(repository):
    for name, workflow in workflows(repository).items():
        assert workflow["permissions"] == {}, name
        assert "pull_request_target" not in triggers(workflow), name
        for job_id, job in workflow["jobs"].items():
            where = f"{name}: job {job_id}"
            assert isinstance(job.get("permissions"), dict), where
            assert "write-all" not in json.dumps(job["permissions"]), where
            assert isinstance(job.get("timeout-minutes"), int), where
            assert job.get("concurrency", {}).get("group"), where
            for step in job.get("steps", []):
                if str(step.get("uses", "")).startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, where


def test_job_permissions_say_why(repository):
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


def test_run_steps_are_one_short_command(repository):
    for name, workflow in workflows(repository).items():
        for job_id, job in workflow["jobs"].items():
            for step in job.get("steps", []):
                if "run" in step:
                    run = step["run"].strip()
                    assert "\n" not in run, f"{name}: job {job_id}: {run!r}"
                    assert ONE_COMMAND.match(run), f"{name}: job {job_id}: {run!r}"


def test_make_targets_used_in_workflows_exist(project):
    makefile = (project / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.M))
    for name, workflow in workflows(project).items():
        for job in workflow["jobs"].values():
            for step in job.get("steps", []):
                used = re.match(r"make ([a-z-]+)$", step.get("run", ""))
                if used:
                    assert used[1] in targets, f"{name}: `make {used[1]}` is not a target"


def test_no_caches_where_images_are_published(project):
    found = workflows(project)
    for name, job_id in PUBLISHING_JOBS:
        for step in found[name]["jobs"][job_id]["steps"]:
            uses, inputs = str(step.get("uses", "")), step.get("with") or {}
            assert not uses.startswith("actions/cache"), f"{name}: {job_id}"
            assert "cache-from" not in inputs, f"{name}: {job_id}: {uses}"
            assert "cache-to" not in inputs, f"{name}: {job_id}: {uses}"
            if uses.startswith("astral-sh/setup-uv"):
                assert inputs.get("enable-cache") is False, f"{name}: {job_id}: {uses}"


def test_workflows_are_copied_without_rendering(project):
    for path in workflow_checks.workflow_files(project):
        source = TEMPLATE / "{{cookiecutter.project_slug}}" / ".github" / "workflows" / path.name
        assert path.read_bytes() == source.read_bytes(), path.name


def test_ruleset_requires_the_pull_request_jobs(project):
    ruleset = json.loads((project / ".github" / "rulesets" / "main.json").read_text())
    rules = {rule["type"]: rule.get("parameters", {}) for rule in ruleset["rules"]}
    required = {
        check["context"] for check in rules["required_status_checks"]["required_status_checks"]
    }
    ci = workflows(project)["ci.yml"]
    on_pull_requests = {
        job["name"] for job in ci["jobs"].values() if "push" not in str(job.get("if", ""))
    }
    assert ruleset["enforcement"] == "active"
    assert rules["pull_request"]["require_code_owner_review"] is True
    assert rules["pull_request"]["required_approving_review_count"] >= 1
    assert rules["pull_request"]["require_last_push_approval"] is True
    assert required == {"Lint", "Test", "Pipeline and gate", "Image"}
    assert required <= on_pull_requests
    assert "merge_group" in triggers(ci)  # a merge queue gets the required checks too


# What a pull request could edit to pass a gate it should fail: each needs a code owner.
GATE_DECIDERS = (
    ".github/workflows/ci.yml",
    ".github/rulesets/main.json",
    "Makefile",
    "dvc.yaml",
    "params.yaml",
    "metrics/baseline.json",
    "data/golden/golden.csv",
    "src/{package}/contract.py",
    "src/{package}/gate.py",
    "src/{package}/reference.py",
    "src/{package}/evaluate.py",
    "src/{package}/metrics.py",
)


def unowned(project: Path, package: str) -> list[str]:
    """Gate deciders no CODEOWNERS line covers (its anchored `/file` and `/folder/` forms)."""
    owned = []
    for line in (project / ".github" / "CODEOWNERS").read_text().splitlines():
        pattern, *owners = line.split("#", 1)[0].split() or [""]
        if owners:
            assert pattern.startswith("/"), f"unanchored pattern {pattern!r}: extend this check"
            owned.append(pattern[1:])
    deciders = [path.format(package=package) for path in GATE_DECIDERS]
    return [
        path
        for path in deciders
        if not any(path == p or (p.endswith("/") and path.startswith(p)) for p in owned)
    ]


def test_code_owners_review_every_change_to_what_decides_the_gate(project):
    package = json.loads((project / ".cookiecutter.json").read_text())["package_name"]
    for path in GATE_DECIDERS:
        assert (project / path.format(package=package)).is_file(), path

    assert unowned(project, package) == []
    codeowners = (project / ".github" / "CODEOWNERS").read_text()
    assert "@your-github-user" in codeowners  # the default answer: the repository's owner


def test_a_gate_module_missing_from_code_owners_is_reported(project, tmp_path):
    package = json.loads((project / ".cookiecutter.json").read_text())["package_name"]
    shutil.copytree(project / ".github", tmp_path / ".github")
    codeowners = tmp_path / ".github" / "CODEOWNERS"
    lines = codeowners.read_text().splitlines()
    codeowners.write_text("\n".join(line for line in lines if "/gate.py" not in line))

    assert unowned(tmp_path, package) == [f"src/{package}/gate.py"]


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
def test_checks_report_a_planted_mistake(mistake, project, tmp_path):
    make_mistake, reporters = MISTAKES[mistake]
    shutil.copytree(project / ".github", tmp_path / ".github")
    make_mistake(tmp_path)

    results = workflow_checks.run_all(tmp_path, reporters)

    assert all(results.values()), {name: len(found) for name, found in results.items()}
