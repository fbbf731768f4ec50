"""The generated ci.yml's lint and test jobs, executed here step by step on a pull request.

The project is published to a local `origin/main`, then a pull-request branch is checked
out, as on GitHub. Every `run:` step runs verbatim; `uses:` steps are emulated or reported
as needing GitHub (tests/workflow_harness.py).
"""

from __future__ import annotations

import re

import pytest

from .conftest import bake, run
from .workflow_harness import StepFailed, run_job

pytestmark = pytest.mark.e2e
PULL_REQUEST = {
    "github.event_name": "pull_request",
    "github.base_ref": "main",
    "github.event.repository.default_branch": "main",
    "github.workflow": "CI",
    "github.ref": "refs/pull/1/merge",
    "github.repository": "your-github-user/customer-churn",
    "github.sha": "0" * 40,
}


@pytest.fixture(scope="module")
def pull_request(tmp_path_factory):
    root = bake(tmp_path_factory.mktemp("pr"))
    run("git add -A && git commit --quiet -m 'Initial commit from template'", root)
    remote = root.parent / "origin.git"
    run(f"git init --quiet --bare {remote} && git remote add origin {remote}", root)
    run("git push --quiet -u origin main && git checkout --quiet -b feature", root)
    return root


def test_lint_and_test_jobs_pass_as_written(pull_request, tmp_path):
    workflow = pull_request / ".github" / "workflows" / "ci.yml"
    results = []
    for job in ("lint", "test"):
        results += run_job(workflow, job, pull_request, PULL_REQUEST, tmp_path).results

    ran = [r.name for r in results if r.status == "ran"]
    assert "Gate against the target branch" in ran
    assert "Fuzz the running service from its OpenAPI schema" in ran
    summary = (tmp_path / "test.summary").read_text()
    assert "## Model gate: PASSED" in summary
    assert "origin/main:metrics/baseline.json" in summary
    assert (tmp_path / "pipeline-reports" / "reports" / "gate.md").is_file()
    for result in results:
        print(f"{result.job:<6} {result.status:<24} {result.seconds:7.1f} s  {result.name}")


def test_a_degraded_model_fails_the_gate_step_and_the_summary_shows_the_table(
    pull_request, tmp_path
):
    params = pull_request / "params.yaml"
    params.write_text(re.sub(r"(?m)^(  n_estimators:)\s*\d+", r"\1 1", params.read_text()))
    params.write_text(re.sub(r"(?m)^(  max_depth:)\s*\d+", r"\1 1", params.read_text()))
    run("git commit --quiet -am 'A weaker model'", pull_request)
    workflow = pull_request / ".github" / "workflows" / "ci.yml"

    with pytest.raises(StepFailed, match="Gate against the target branch"):
        run_job(workflow, "test", pull_request, PULL_REQUEST, tmp_path)

    summary = (tmp_path / "test.summary").read_text()
    assert "## Model gate: FAILED" in summary
    assert "| roc_auc | higher |" in summary
    assert "FAIL: worse than baseline" in summary
