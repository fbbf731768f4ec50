"""ci.yml with an s3:// DVC remote (moto on loopback), run job by job from fresh checkouts.

The project was trained once and pushed to the remote. A change that touches no stage input
lands on main: the gate job pulls data, outputs and run-cache, reproduces nothing, passes
the gate and pushes what it gated. A fork's pull request, which GitHub gives no
credentials, whose data only the remote holds: the remote job says so and the gate job is
skipped, not failed (the test job, which needs no data, runs for every pull request).
"""

from __future__ import annotations

import pytest

from .backends import moto_s3
from .conftest import run
from .github_repo import GitHubRepo
from .workflow_fixtures import REPOSITORY
from .workflow_harness import Runner, run_workflow, show

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("workflow-remote")]  # one S3, one origin
BUCKET = "dvc-store"


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    with moto_s3(tmp_path_factory.mktemp("moto"), (BUCKET,)) as server:
        yield server


@pytest.fixture(scope="module")
def repo(s3, tmp_path_factory) -> GitHubRepo:
    """main holds a trained model whose data, outputs and run-cache are in the remote."""
    where = tmp_path_factory.mktemp("github")
    repo = GitHubRepo.publish(where, REPOSITORY, dvc_remote=f"s3://{BUCKET}/churn")
    run("make install repro", repo.clone)
    repo.commit("Trained model")
    run("make push", repo.clone, env=s3.env)
    repo.push()
    return repo


@pytest.fixture(scope="module")
def runner(repo, s3, tmp_path_factory) -> Runner:
    # The credentials the OIDC sign-in steps would give the job, as environment variables.
    return Runner(tmp_path_factory.mktemp("runner"), repo.origin, env=dict(s3.env))


def test_main_pulls_instead_of_training_and_pushes_after_the_gate(repo, runner, s3):
    readme = repo.clone / "README.md"
    readme.write_text(readme.read_text() + "\nOne more sentence.\n")
    repo.commit("Docs: one more sentence")
    before = set(s3.keys(BUCKET))

    runs = run_workflow("ci.yml", repo.push(), runner, ["remote", "gate"], assumed=("override",))
    show(runs)

    gate = runs["gate"]
    assert runs["remote"].job_outputs == {"trusted": "true", "pipeline": "true"}
    assert gate.status()["Fetch data, stage outputs and run-cache from the DVC remote"] == "ran"
    repro = gate.step("Reproduce the pipeline").output
    assert "Running stage" not in repro
    assert "Stage 'train' didn't change, skipping" in repro
    assert gate.status()["Send the gated data, outputs and run-cache to the DVC remote"] == "ran"
    # The gate re-exported the model in CI (its metadata names this commit): now in the remote.
    assert set(s3.keys(BUCKET)) > before


def test_a_forks_pull_request_without_the_remotes_data_is_skipped_saying_why(repo, runner):
    run("git checkout --quiet -b fork-change origin/main", repo.clone)
    extra = repo.clone / "data" / "extra.csv"
    extra.write_text("id,value\n1,2\n")
    run("uv run --locked dvc add data/extra.csv", repo.clone)
    repo.commit("Track more data with DVC")
    event = repo.pull_request("fork-change", number=7, head_repository="someone/customer-churn")

    runs = run_workflow("ci.yml", event, runner, ["remote", "gate"], assumed=("override",))
    show(runs)

    remote = runs["remote"]
    assert remote.job_outputs == {"trusted": "false", "pipeline": "false"}
    message = remote.step("Can this run use the DVC remote?").output
    assert "::notice title=DVC remote unavailable::" in message
    assert "data/extra.csv.dvc" in message
    assert "DVC remote unavailable" in remote.summary
    assert runs["gate"].result == "skipped"
