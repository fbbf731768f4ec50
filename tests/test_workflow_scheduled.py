"""monitor.yml, retrain.yml and delivery.yml on their schedule, with GitHub's real payload.

A `schedule` event carries only its cron line: no `repository`, so nothing may read the
default branch from `github.event.repository` (retrain.yml's gate did, and compared with
`origin/`). Each job starts from its own fresh checkout of the default branch.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml

from .conftest import run
from .github_repo import GitHubRepo
from .test_delivery import load_fake
from .workflow_fixtures import github_api, published_project, runner_for
from .workflow_harness import Runner, StepFailed, create_pull_request, run_workflow, show

pytestmark = pytest.mark.e2e
# Two workers: retraining beside monitoring (each builds its own project and runner).
RETRAIN = pytest.mark.xdist_group("workflow-retrain")
MONITOR = pytest.mark.xdist_group("workflow-monitor")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> GitHubRepo:
    return published_project(tmp_path_factory.mktemp("scheduled"))


@pytest.fixture(scope="module")
def runner(repo: GitHubRepo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    yield from runner_for(repo, tmp_path_factory.mktemp("runner"))


def cron(repo: GitHubRepo, workflow: str) -> str:
    document = yaml.safe_load(repo.workflow(workflow).read_text())
    return str(document[True]["schedule"][0]["cron"])


@RETRAIN
def test_scheduled_retraining_gates_against_main_and_proposes(
    repo: GitHubRepo, runner: Runner
) -> None:
    runner.emulators["peter-evans/create-pull-request"] = create_pull_request(allowed=True)
    runs = run_workflow("retrain.yml", repo.schedule(cron(repo, "retrain.yml")), runner)
    show(runs)

    assert "## Model gate: PASSED" in runs["retrain"].summary
    assert "origin/main:metrics/baseline.json" in runs["retrain"].summary
    proposal = runs["propose"].step("Open or update the pull request")
    assert proposal.status == "skipped (needs GitHub)"
    body = (runs["propose"].workspace / proposal.inputs["body-path"]).read_text()
    assert "| champion (baseline) | challenger |" in body
    assert (runs["propose"].workspace / "dvc.lock").is_file()
    assert runs["propose"].status()["Say how to allow the pull request"] == "skipped (if)"

    # The same proposal where Actions may not open pull requests (GitHub's default) with
    # the workflow's own token: the job fails and says exactly what to change.
    runner.emulators["peter-evans/create-pull-request"] = create_pull_request(allowed=False)
    with pytest.raises(StepFailed, match="Open or update the pull request") as failed:
        run_workflow(
            "retrain.yml",
            repo.schedule(cron(repo, "retrain.yml")),
            runner,
            ["propose"],
            artifacts_from=runs,
        )
    refused = failed.value.run
    assert refused is not None
    assert refused.status()["Say how to allow the pull request"] == "ran"
    assert "Allow GitHub Actions to create and approve pull requests" in refused.summary
    assert "RETRAIN_TOKEN" in refused.summary


ISSUES = "/repos/Your-GitHub-User/customer-churn/issues"
# The issues API lists pull requests too: #6 is one that carries the label.
LABELLED = [
    {"number": 6, "title": "Tweak the report", "pull_request": {"url": "..."}},
    {"number": 5, "title": "Data drift detected", "labels": [{"name": "model-drift"}]},
]


@MONITOR
def test_monitor_checks_a_demo_batch_and_finds_no_drift_and_closes_the_drift_issue(
    repo: GitHubRepo, runner: Runner
) -> None:
    event = repo.schedule(cron(repo, "monitor.yml"))
    answers = {f"GET {ISSUES}": LABELLED, f"POST {ISSUES}/5/comments": {}, f"PATCH {ISSUES}/5": {}}
    with github_api(event, answers) as calls:
        runs = run_workflow("monitor.yml", event, runner)
    show(runs)

    drift = runs["drift"]
    assert drift.status()["Make a demo batch (data/batches/ is empty)"] == "ran"
    assert drift.job_outputs == {"status": "no_drift"}
    assert (drift.artifacts / "drift-report" / "drift.html").is_file()
    assert drift.summary.strip()
    assert runs["retrain"].result == "skipped"
    (comment, closed) = [(method, path, body) for method, path, body in calls[1:]]
    assert comment[:2] == ("POST", f"{ISSUES}/5/comments")
    assert comment[2]["body"].startswith("No drift in the latest batch: closing.")
    assert closed == ("PATCH", f"{ISSUES}/5", {"state": "closed", "state_reason": "completed"})


@MONITOR
def test_monitor_flags_a_drifted_batch_opens_the_issue_and_starts_retraining(
    repo: GitHubRepo, runner: Runner
) -> None:
    # A batch is drawn from the held-out split, which the data stage writes.
    run(
        "git checkout --quiet main && make install && uv run --locked dvc repro --quiet data"
        " && make batch DRIFT=severe OUT=data/batches/2026-11-26.csv",
        repo.clone,
    )
    repo.commit("A drifted batch")
    pushed = repo.push("main")
    runner.variables["RETRAIN_ON_DRIFT"] = "true"
    event = repo.schedule(cron(repo, "monitor.yml"))
    try:
        with github_api(event, {f"GET {ISSUES}": [], f"POST {ISSUES}": {"number": 9}}) as calls:
            runs = run_workflow("monitor.yml", event, runner, check=False)
    finally:
        del runner.variables["RETRAIN_ON_DRIFT"]
    show(runs)

    assert pushed.sha == runs["drift"].event.sha
    assert runs["drift"].result == "failure"
    assert runs["drift"].job_outputs == {"status": "drift"}
    assert "tenure_months" in runs["drift"].summary
    (opened,) = [body for method, _, body in calls if method == "POST"]
    assert opened["title"] == "Data drift detected"
    assert opened["labels"] == ["model-drift"]
    assert "tenure_months" in opened["body"]
    start = runs["retrain"].step("Start the retrain workflow")
    assert start.status == "skipped (needs GitHub)"
    assert start.inputs["BRANCH"] == "main"


@MONITOR
def test_delivery_reports_from_the_github_api_and_updates_its_issue(
    repo: GitHubRepo, runner: Runner
) -> None:
    # GitHub's REST API (the generated project's own fake, in GitHub's shapes) on loopback,
    # as this repository: the job reads it at GITHUB_API_URL, the runner's default variable.
    fake = load_fake()
    event = repo.schedule(cron(repo, "delivery.yml"))
    with fake.serving(
        fake.FakeGitHub(fake.known_scenario(), repository=event.github()["repository"])
    ) as github:
        event.extra["api_url"] = github.url
        runs = run_workflow("delivery.yml", event, runner, ["report"])
    # The issue job, against the issues API (the stand-in of the generated project's tests).
    labelled = [LABELLED[0], {"number": 8, "labels": [{"name": "delivery-metrics"}]}]
    with github_api(event, {f"GET {ISSUES}": labelled, f"PATCH {ISSUES}/8": {}}) as calls:
        runs |= run_workflow("delivery.yml", event, runner, ["issue"], artifacts_from=runs)
    show(runs)

    assert event.payload == {"schedule": cron(repo, "delivery.yml")}  # no `repository`
    report = runs["report"]
    assert "## Delivery metrics" in report.summary
    assert "| Deployment frequency" in report.summary
    charts = sorted(p.name for p in (report.artifacts / "delivery-report").glob("*.png"))
    assert len(charts) == 7, charts
    (update,) = [(path, body) for method, path, body in calls if method == "PATCH"]
    assert update[0] == f"{ISSUES}/8"  # the issue, not the pull request carrying the label
    assert update[1]["body"].startswith("## Delivery metrics")
    assert "/actions/runs/" in update[1]["body"]
    assert "| Deployment frequency | " in update[1]["body"]  # no dead links to the charts
