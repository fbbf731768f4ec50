"""ci.yml with an s3:// DVC remote (moto on loopback), run job by job from fresh checkouts.

The project was trained once and pushed to the remote. A change that touches no stage input
lands on main: the gate job pulls data, outputs and run-cache, reproduces nothing, passes
the gate and pushes what it gated. A fork's pull request, which GitHub gives no credentials,
that adds data only a remote can hold: the remote job says so (from the base commit's tree
and what the change adds, never the fork's own listing), the gate cannot run, and the
Required check fails saying how a maintainer runs it. Dependabot's pull request, with the
repository's variables and none of its secrets, passes. A merge queue whose base (the group
queued before) is ahead of main gates against that base.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from .backends import S3, moto_s3
from .conftest import run
from .github_repo import GitHubRepo
from .workflow_fixtures import REPOSITORY, free_port
from .workflow_harness import Runner, run_workflow, show

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("workflow-remote")]  # one S3, one origin
BUCKET = "dvc-store"


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3]:
    with moto_s3(tmp_path_factory.mktemp("moto"), (BUCKET,)) as server:
        yield server


@pytest.fixture(scope="module")
def repo(s3: S3, tmp_path_factory: pytest.TempPathFactory) -> GitHubRepo:
    """Main holds a trained model whose data, outputs and run-cache are in the remote."""
    where = tmp_path_factory.mktemp("github")
    repo = GitHubRepo.publish(where, REPOSITORY, dvc_remote=f"s3://{BUCKET}/churn")
    run("make install repro", repo.clone)
    repo.commit("Trained model")
    run("make push", repo.clone, env=s3.env)
    repo.push()
    return repo


@pytest.fixture(scope="module")
def runner(repo: GitHubRepo, s3: S3, tmp_path_factory: pytest.TempPathFactory) -> Runner:
    # The credentials the OIDC sign-in steps would give the job, as environment variables.
    return Runner(tmp_path_factory.mktemp("runner"), repo.origin, env=dict(s3.env))


def test_main_pulls_instead_of_training_and_pushes_after_the_gate(
    repo: GitHubRepo, runner: Runner, s3: S3
) -> None:
    readme = repo.clone / "README.md"
    readme.write_text(readme.read_text() + "\nOne more sentence.\n")
    repo.commit("Docs: one more sentence")
    before = set(s3.keys(BUCKET))

    runs = run_workflow("ci.yml", repo.push(), runner, ["remote", "gate"], assumed=("override",))
    show(runs)

    gate = runs["gate"]
    outputs = runs["remote"].job_outputs
    assert (outputs["trusted"], outputs["pipeline"]) == ("true", "true")
    assert gate.status()["Fetch data, stage outputs and run-cache from the DVC remote"] == "ran"
    repro = gate.step("Reproduce the pipeline").output
    assert "Running stage" not in repro
    assert "Stage 'train' didn't change, skipping" in repro
    assert gate.status()["Send the gated data, outputs and run-cache to the DVC remote"] == "ran"
    # The gate re-exported the model in CI (its metadata names this commit): now in the remote.
    assert set(s3.keys(BUCKET)) > before


def test_a_forks_pull_request_adding_remote_data_fails_the_required_check(
    repo: GitHubRepo, runner: Runner
) -> None:
    run("git checkout --quiet -b fork-change origin/main", repo.clone)
    extra = repo.clone / "data" / "extra.csv"
    extra.write_text("id,value\n1,2\n")
    run("uv run --locked dvc add data/extra.csv", repo.clone)
    repo.commit("Track more data with DVC")
    event = repo.pull_request("fork-change", number=7, head_repository="someone/customer-churn")

    runs = run_workflow(
        "ci.yml",
        event,
        runner,
        ["remote", "gate", "required"],
        assumed=("override", "lint", "test"),
        check=False,
    )
    show(runs)

    remote = runs["remote"]
    assert remote.job_outputs["trusted"] == "false"
    assert remote.job_outputs["pipeline"] == "false"
    message = remote.step("Can this run use the DVC remote?").output
    assert "::notice title=DVC remote unavailable::" in message
    assert "data/extra.csv.dvc" in message
    assert "DVC remote unavailable" in remote.summary
    assert runs["gate"].result == "skipped"
    required = runs["required"]
    assert required.result == "failure"  # a skipped gate never passes the required check
    verdict = required.step("Did every job end as it must?").output
    assert "gate: skipped, must be success" in verdict
    assert "git fetch origin pull/7/head:fork-pr-7 && git push origin fork-pr-7" in verdict
    assert "image: skipped, must be success" in verdict


def test_dependabots_pull_request_with_variables_and_no_secrets_passes(
    repo: GitHubRepo, runner: Runner
) -> None:
    """Dependabot's runs get the repository's variables but no Actions secrets.

    A team MLflow server without its credentials would answer 401. Pull requests never use it.
    """
    run("git checkout --quiet -b dependabot/uv/uv-0.9.99 origin/main", repo.clone)
    (repo.clone / "NOTES.md").write_text("A dependency update.\n")
    repo.commit("Bump uv")
    event = repo.pull_request("dependabot/uv/uv-0.9.99", number=8, author="dependabot[bot]")
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens: any use of it fails the job
    runner.variables.update(MLFLOW_TRACKING_URI=closed, AWS_READ_ROLE_ARN="arn:aws:iam::1:role/r")
    try:
        runs = run_workflow("ci.yml", event, runner, ["remote", "gate"], assumed=("override",))
    finally:
        runner.variables.clear()
    show(runs)

    gate = runs["gate"]
    assert event.actor == "dependabot[bot]"
    assert gate.result == "success"
    assert gate.status()["Gate against the target branch"] == "ran"
    assert closed not in json.dumps(gate.contexts["env"])
    sign_in = gate.step("Assume the AWS role for the DVC remote")
    assert sign_in.inputs["role-to-assume"] == "arn:aws:iam::1:role/r"  # the read-only role


def test_a_merge_queue_gates_against_its_base_when_that_is_ahead_of_main(
    repo: GitHubRepo, runner: Runner
) -> None:
    """The group queued before this one re-baselined to a bar this change does not reach.

    Against main it would pass, against the queue's base it fails.
    """
    run("git checkout --quiet -b earlier origin/main", repo.clone)
    baseline = repo.clone / "metrics" / "baseline.json"
    accepted = json.loads(baseline.read_text())
    raised = {name: value + 0.5 for name, value in accepted["metrics"].items()}
    baseline.write_text(json.dumps({**accepted, "metrics": raised}, indent=2) + "\n")
    earlier = repo.commit("An earlier group re-baselined")
    run("git checkout --quiet -b queued origin/main", repo.clone)
    (repo.clone / "NOTES.md").write_text("Queued behind another group.\n")
    repo.commit("A change queued second")
    event = repo.merge_queue("queued", number=10, behind=earlier)

    runs = run_workflow(
        "ci.yml", event, runner, ["remote", "gate"], assumed=("override",), check=False
    )
    show(runs)

    gate = runs["gate"]
    assert event.payload["merge_group"]["base_sha"] == earlier != repo.sha("origin/main")
    assert gate.result == "failure"
    assert f"`{earlier}:metrics/baseline.json`" in gate.summary
    assert "worse than baseline" in gate.summary
