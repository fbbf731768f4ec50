"""A project made from an older template commit takes the current one and keeps its edits.

The template is copied into a git repository twice: first as an "older" version (with two
real bugs this template has since fixed: retrain.yml's gate read the default branch from a
payload a schedule does not have, and the README said less), then as it is now. A project
is made from the older commit with cruft, the user edits it and pushes, and the project's own
template-update.yml runs on its schedule (tests/workflow_harness.py): the fix arrives, the
user's edits stay, nothing conflicts, and the pull request it would open says so.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import TEMPLATE, run
from .github_events import Repository, schedule
from .github_repo import GitHubRepo
from .workflow_harness import JobRun, Runner, create_pull_request, run_workflow, show

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("template-update")]
RETRAIN = "{{cookiecutter.project_slug}}/.github/workflows/retrain.yml"
FIXED = "GATE_BASELINE_REF: origin/${{ github.ref_name }}"
BROKEN = "GATE_BASELINE_REF: origin/${{ github.event.repository.default_branch }}"
README = "{{cookiecutter.project_slug}}/README.md"
QUICK_START = "Needs [uv](https://docs.astral.sh/uv/), `make` and `git`."


def template_repository(root: Path) -> tuple[Path, str, str]:
    """The template as a git repository: an older commit, then the current files."""
    listed = subprocess.run(
        ["git", "-C", str(TEMPLATE), "ls-files", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    repo = root / "template"
    for name in listed:
        if (TEMPLATE / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(TEMPLATE / name, repo / name)
    current = {name: (repo / name).read_text() for name in (RETRAIN, README)}
    assert FIXED in current[RETRAIN]
    assert QUICK_START in current[README]
    (repo / RETRAIN).write_text(current[RETRAIN].replace(FIXED, BROKEN))
    (repo / README).write_text(current[README].replace(QUICK_START, "Needs uv, make and git."))
    run(
        "git init --quiet --initial-branch=main . && git add -A && git commit --quiet -m older",
        repo,
    )
    older = run("git rev-parse HEAD", repo).stdout.strip()
    for name, text in current.items():
        (repo / name).write_text(text)
    run("git commit --quiet -am current", repo)
    return repo, older, run("git rev-parse HEAD", repo).stdout.strip()


@pytest.fixture(scope="module")
def updated(tmp_path_factory: pytest.TempPathFactory) -> tuple[JobRun, str]:
    root = tmp_path_factory.mktemp("template-update")
    template, older, current = template_repository(root)
    cruft = Path(sys.executable).with_name("cruft")
    run(f"{cruft} create {template} --checkout {older} --no-input --output-dir {root}", root)
    clone = root / "customer-churn"
    state = json.loads((clone / ".cruft.json").read_text())
    assert state["commit"] == older
    assert BROKEN in (clone / ".github/workflows/retrain.yml").read_text()

    # The user's own edits, in files the template update also changes and in others.
    retrain = clone / ".github/workflows/retrain.yml"
    retrain.write_text(retrain.read_text().replace('cron: "41 5 * * 1"', 'cron: "7 3 * * 2"'))
    with (clone / "README.md").open("a") as readme:
        readme.write("\n## Our notes\n\nChurn data arrives on Tuesdays.\n")
    params = clone / "params.yaml"
    params.write_text(params.read_text().replace("test_size: 0.2", "test_size: 0.25"))
    run("git add -A && git commit --quiet -m 'Initial commit' ", clone)
    origin = root / "origin.git"
    run(f"git init --quiet --bare {origin} && git remote add origin {origin}", clone)
    run("git push --quiet -u origin main", clone)
    repo = GitHubRepo(clone, origin, Repository("Your-GitHub-User/customer-churn"))

    runner = Runner(root / "runner", origin)
    runner.emulators["peter-evans/create-pull-request"] = create_pull_request(allowed=True)
    event = schedule(repo.repository, sha=repo.sha("origin/main"), cron="17 4 * * 1")
    runs = run_workflow("template-update.yml", event, runner)
    show(runs)
    return runs["update"], current


def test_the_template_fix_arrives(updated: tuple[JobRun, str]) -> None:
    job, current = updated
    workspace = job.workspace

    assert FIXED in (workspace / ".github/workflows/retrain.yml").read_text()
    assert QUICK_START in (workspace / "README.md").read_text()
    assert json.loads((workspace / ".cruft.json").read_text())["commit"] == current


def test_the_users_edits_are_kept(updated: tuple[JobRun, str]) -> None:
    workspace = updated[0].workspace

    assert 'cron: "7 3 * * 2"' in (workspace / ".github/workflows/retrain.yml").read_text()
    assert "Churn data arrives on Tuesdays." in (workspace / "README.md").read_text()
    assert "test_size: 0.25" in (workspace / "params.yaml").read_text()


def test_it_merges_cleanly_and_the_pull_request_says_so(updated: tuple[JobRun, str]) -> None:
    job, current = updated
    workspace = job.workspace
    conflicts = run("git diff --name-only --diff-filter=U", workspace).stdout.split()
    rejected = list(workspace.rglob("*.rej"))
    markers = run("git grep -l '^<<<<<<< ' -- . || true", workspace).stdout.split()

    assert (conflicts, rejected, markers) == ([], [], [])
    proposal = job.step("Open or update the pull request")
    assert proposal.status == "skipped (needs GitHub)"
    assert proposal.inputs["branch"] == "template/update"
    body = (workspace / proposal.inputs["body-path"]).read_text()
    assert f"to `{current[:12]}`" in body
    assert "Everything merged cleanly." in body
    assert ".github/workflows/retrain.yml" in body
