"""The generated workflows executed here, job by job, as GitHub would run them.

The project is published to a local `origin/main`, then a pull-request branch is checked
out, as on GitHub. Every `run:` step runs verbatim; `uses:` steps are emulated (the image
build with buildah, from a locally made base image) or reported as needing GitHub
(tests/workflow_harness.py). The same gated model then goes through the push-to-main
publish job and the tag-triggered release job.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from . import containers
from .conftest import bake, run
from .test_gate_override import REASON, labelled_by
from .test_gate_override import pull_request as pull_request_event
from .workflow_harness import (
    Emulator,
    GitHubApi,
    JobRun,
    NeedsGitHub,
    StepFailed,
    StepResult,
    github_script,
    needs,
    run_job,
)

pytestmark = pytest.mark.e2e
REPOSITORY = "Your-GitHub-User/customer-churn"  # mixed case: registries need it lowercased
PULL_REQUEST = {
    "github.event_name": "pull_request",
    "github.base_ref": "main",
    "github.event.repository.default_branch": "main",
    "github.workflow": "CI",
    "github.ref": "refs/pull/1/merge",
    "github.repository": REPOSITORY,
    "github.sha": "0" * 40,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def buildah_build(base_image: str, built: list[str]) -> Emulator:
    """docker/build-push-action with buildah: same context, Dockerfile, tags and build args.

    The base image is the only input that differs: Docker Hub is out of reach here. A push
    needs the registry, so it is reported as needing GitHub.
    """

    def build(run: JobRun, inputs: Mapping[str, str]) -> None:
        if inputs.get("push") == "true":
            raise NeedsGitHub("pushes to the registry")
        tags = [tag for tag in re.split(r"[\s,]+", inputs["tags"]) if tag]
        build_args = dict(line.split("=", 1) for line in inputs.get("build-args", "").split())
        context = run.project / inputs.get("context", ".")
        build_args["BASE_IMAGE"] = base_image
        containers.build(context, context / "Dockerfile", tags[0], build_args)
        for tag in tags[1:]:
            subprocess.run(["buildah", "tag", tags[0], tag], check=True)
        built.extend(tags)

    return build


@pytest.fixture(scope="module")
def pull_request(tmp_path_factory) -> Path:
    root = bake(tmp_path_factory.mktemp("pr"))
    run("git add -A && git commit --quiet -m 'Initial commit from template'", root)
    remote = root.parent / "origin.git"
    run(f"git init --quiet --bare {remote} && git remote add origin {remote}", root)
    run("git push --quiet -u origin main && git checkout --quiet -b feature", root)
    return root


@pytest.fixture(scope="module")
def image_build() -> Iterator[Emulator]:
    containers.ensure_tools()
    built: list[str] = []
    yield buildah_build(containers.ensure_base_image(), built)
    for tag in built:
        containers.remove_image(tag)


@pytest.fixture(scope="module")
def pull_request_run(pull_request, image_build, tmp_path_factory) -> tuple[list[StepResult], Path]:
    """lint, test and image, in the order `needs:` puts them; artifacts pass between jobs."""
    artifacts = tmp_path_factory.mktemp("artifacts")
    workflow = pull_request / ".github" / "workflows" / "ci.yml"
    extra = {"docker/build-push-action": image_build}
    runner = {"SMOKE_PORT": str(free_port())}
    override = gate_override(
        pull_request, artifacts, pull_request_event(labels=(), repository=REPOSITORY), GitHubApi({})
    )
    context = {**PULL_REQUEST, **needs("override", override)}
    results = override.results
    for job in ("lint", "test", "image"):
        results += run_job(workflow, job, pull_request, context, artifacts, extra, runner).results
    return results, artifacts


def gate_override(project: Path, artifacts: Path, event: dict, api: GitHubApi) -> JobRun:
    """ci.yml's `override` job on a pull-request event, GitHub's API answering from `api`."""
    workflow = project / ".github" / "workflows" / "ci.yml"
    script = {"actions/github-script": github_script(event, api)}
    return run_job(workflow, "override", project, PULL_REQUEST, artifacts, script)


def show(results: list[StepResult]) -> None:
    for result in results:
        print(f"{result.job:<8} {result.status:<24} {result.seconds:7.1f} s  {result.name}")


def test_pull_request_jobs_pass_as_written(pull_request_run):
    results, artifacts = pull_request_run
    show(results)

    ran = {(r.job, r.name) for r in results if r.status == "ran"}
    assert ("test", "Gate against the target branch") in ran
    assert ("test", "Fuzz the running service from its OpenAPI schema") in ran
    assert ("image", "Smoke-test the image") in ran
    assert ("image", "Build the image (not pushed)") in {
        (r.job, r.name) for r in results if r.status == "emulated"
    }
    summary = (artifacts / "test.summary").read_text()
    assert "## Model gate: PASSED" in summary
    assert "origin/main:metrics/baseline.json" in summary
    assert (artifacts / "pipeline-reports" / "reports" / "gate.md").is_file()
    smoke = next(r for r in results if r.name == "Smoke-test the image")
    assert "smoke test passed" in smoke.output


def test_merge_publishes_the_smoke_tested_image_and_a_tag_releases_it(
    pull_request, pull_request_run, image_build
):
    _, artifacts = pull_request_run
    head = run("git rev-parse HEAD", pull_request).stdout.strip()
    image = f"ghcr.io/{REPOSITORY.lower()}"
    push = {
        **PULL_REQUEST,
        "github.event_name": "push",
        "github.base_ref": "",
        "github.ref": "refs/heads/main",
        "github.sha": head,
    }
    ci = pull_request / ".github" / "workflows" / "ci.yml"
    extra = {"docker/build-push-action": image_build}
    runner = {"SMOKE_PORT": str(free_port())}
    publish = run_job(ci, "publish", pull_request, push, artifacts, extra, runner)

    status = {r.name: r.status for r in publish.results}
    assert publish.outputs["image"]["name"] == image
    assert status["Smoke-test the image"] == "ran"
    assert status["Push the smoke-tested image"] == "skipped (needs GitHub)"
    assert containers.image_exists(f"{image}:sha-{head[:7]}")
    assert containers.image_exists(f"{image}:main")

    tag = {
        **push,
        "github.workflow": "Release",
        "github.ref": "refs/tags/v1.2.0",
        "github.ref_name": "v1.2.0",
    }
    release_workflow = pull_request / ".github" / "workflows" / "release.yml"
    release = run_job(release_workflow, "release", pull_request, tag, artifacts)
    show(publish.results + release.results)

    status = {r.name: r.status for r in release.results}
    assert status["Tag the published image with the version"] == "skipped (needs GitHub)"
    assert status["Read the serving metadata from the image"] == "ran"
    assert status["Create the GitHub release"] == "skipped (needs GitHub)"
    card = (pull_request / "reports" / "model-card.md").read_text()
    digest = containers.inspect_image(f"{image}:sha-{head[:7]}")["FromImageDigest"]
    assert card.startswith("# customer-churn v1.2.0")
    assert f"`{image}:1.2.0@{digest}`" in card
    assert "| roc_auc |" in card
    assert "Missing inputs" not in card


SCHEDULE = {
    **PULL_REQUEST,
    "github.event_name": "schedule",
    "github.base_ref": "",
    "github.ref": "refs/heads/main",
    "inputs.batch": "",
}


def test_monitor_checks_a_demo_batch_when_there_is_none_and_finds_no_drift(pull_request, tmp_path):
    monitor = pull_request / ".github" / "workflows" / "monitor.yml"
    context = {**SCHEDULE, "github.workflow": "Monitor"}

    try:
        drift = run_job(monitor, "drift", pull_request, context, tmp_path)
    finally:
        shutil.rmtree(pull_request / "data" / "batches", ignore_errors=True)
    show(drift.results)

    status = {r.name: r.status for r in drift.results}
    assert status["Make a demo batch (data/batches/ is empty)"] == "ran"
    assert drift.outputs["verdict"]["status"] == "no_drift"
    assert (tmp_path / "drift-report" / "drift.html").is_file()
    assert (tmp_path / "drift.summary").read_text().strip()


def test_monitor_flags_a_drifted_batch_and_hands_its_report_to_the_issue_job(
    pull_request, tmp_path
):
    monitor = pull_request / ".github" / "workflows" / "monitor.yml"
    context = {**SCHEDULE, "github.workflow": "Monitor"}
    batch = "data/batches/2026-11-26.csv"
    run(f"make batch DRIFT=severe OUT={batch}", pull_request)
    try:
        with pytest.raises(StepFailed, match="Check for drift") as failed:
            run_job(monitor, "drift", pull_request, context, tmp_path)
        drift = failed.value.run
        assert drift is not None
        assert drift.outputs["verdict"]["status"] == "drift"
        assert "tenure_months" in (tmp_path / "drift.summary").read_text()

        issue = run_job(monitor, "issue", pull_request, context, tmp_path)
    finally:
        (pull_request / batch).unlink()
    show(drift.results + issue.results)

    status = {r.name: r.status for r in issue.results}
    assert status["Open or update the drift issue"] == "skipped (needs GitHub)"
    report = pull_request / "drift-report" / "drift.md"
    assert "tenure_months" in report.read_text()  # what the issue's body is made of


def test_retraining_gates_the_new_model_and_prepares_the_pull_request(pull_request, tmp_path):
    retrain = pull_request / ".github" / "workflows" / "retrain.yml"
    context = {**SCHEDULE, "github.workflow": "Retrain"}

    jobs = [
        run_job(retrain, job, pull_request, context, tmp_path) for job in ("retrain", "propose")
    ]
    show(jobs[0].results + jobs[1].results)

    assert "## Model gate: PASSED" in (tmp_path / "retrain.summary").read_text()
    proposal = tmp_path / "retrain-proposal"
    assert (proposal / "dvc.lock").is_file()
    assert (proposal / "metrics" / "baseline.json").is_file()
    body = (proposal / "reports" / "retrain-pr.md").read_text()
    assert "| champion (baseline) | challenger |" in body
    status = {r.name: r.status for r in jobs[1].results}
    assert status["Open or update the pull request"] == "skipped (needs GitHub)"


def test_a_pull_request_switching_the_model_kind_is_retrained_and_gated(pull_request, tmp_path):
    """The most common pull request tries another model: a few lines of params.yaml, no
    re-rendering. The test job reproduces the pipeline with the new kind (every step up to
    the gate passes) and the gate judges it against the target branch's baseline. This one,
    five shallow boosting steps, is worse: the gate step fails with the table in the summary,
    until a maintainer overrides it on purpose."""
    params = pull_request / "params.yaml"
    weak = "model:\n  kind: gradient_boosting\n  max_iter: 5\n  max_depth: 2\n\n"
    params.write_text(re.sub(r"(?ms)^model:.*?\n\n", weak, params.read_text(), count=1))
    run("git commit --quiet -am 'Try gradient boosting'", pull_request)
    workflow = pull_request / ".github" / "workflows" / "ci.yml"

    unlabelled = gate_override(
        pull_request, tmp_path, pull_request_event(labels=(), repository=REPOSITORY), GitHubApi({})
    )
    with pytest.raises(StepFailed, match="Gate against the target branch") as failed:
        run_job(
            workflow,
            "test",
            pull_request,
            {**PULL_REQUEST, **needs("override", unlabelled)},
            tmp_path,
        )

    show(failed.value.run.results if failed.value.run else [])
    summary = (tmp_path / "test.summary").read_text()
    assert "## Model gate: FAILED" in summary
    assert "| roc_auc | higher |" in summary
    assert "FAIL: worse than baseline" in summary
    serving = (pull_request / "models" / "serving" / "metadata.json").read_text()
    assert '"model": "gradient_boosting"' in serving

    # A maintainer accepts it on purpose: the label, with the reason in the description.
    override = gate_override(
        pull_request,
        tmp_path,
        pull_request_event(repository=REPOSITORY),
        GitHubApi(labelled_by("lead")),
    )
    context = {**PULL_REQUEST, **needs("override", override)}
    accepted = run_job(workflow, "test", pull_request, context, tmp_path)

    show(override.results + accepted.results)
    summary = (tmp_path / "test.summary").read_text()
    assert "## Model gate: OVERRIDDEN (would fail)" in summary
    assert f"- **Override** by @lead: {REASON}" in summary
    comment = tmp_path / "pipeline-reports" / "reports" / "gate.md"  # the sticky comment's body
    assert f"by @lead: {REASON}" in comment.read_text()
