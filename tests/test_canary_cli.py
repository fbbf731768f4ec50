"""`make canary` in a trained project, for real: the services, nginx, Prometheus, the judge.

An identical challenger is promoted (the MLflow alias moves); a challenger failing 5% of its
requests, or ten times slower (the real service with a planted fault, canary_faults.py), is
rolled back within two intervals of at least 50 challenger requests, and nginx then sends it
nothing; a challenger with too little traffic is inconclusive, never promoted. Short intervals
(3 s) keep the module to seconds of CPU; benchmarks/canary.py runs the longer checks.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from .backends import free_port, process_group, wait_for_http
from .conftest import TRAINED, project_env, run

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(TRAINED)]

FAULTS = Path(__file__).with_name("canary_faults.py")
# Half the traffic to the challenger at 60 requests a second: ~90 challenger requests in 3 s
# (50 is 6 standard deviations of the random split below that).
RUN = "make canary CHAMPION=models/serving INTERVAL=3"
HALF = "SHARE=0.5 RATE=60"


@pytest.fixture(scope="module")
def project(trained_project: Path) -> Path:
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()) or not shutil.which(
        "prometheus"
    ):
        pytest.fail("nginx and prometheus must be installed (.ci/run: apt-get install)")
    return trained_project


@pytest.fixture
def registry(project: Path, tmp_path: Path) -> dict[str, str]:
    """A copy of the project's MLflow store: promoting must not change the shared project's."""
    shutil.copy(project / "mlflow.db", tmp_path / "mlflow.db")
    return {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}"}


def report(project: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((project / "reports/canary/canary.json").read_text())
    return result


@contextmanager
def faulty_challenger(project: Path, kind: str, log: Path) -> Iterator[str]:
    """The project's service with a planted fault, on its own port; yields its URL."""
    port = free_port()
    env = {**project_env(), "SERVE_MODEL_DIR": str(project / "models/serving")}
    command = [str(project / ".venv/bin/python"), str(FAULTS), "customer_churn", kind, str(port)]
    with process_group(command, log, cwd=project, env=env) as process:
        url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{url}/ready", process, log, seconds=30)
        yield url


def test_an_identical_challenger_is_promoted(project: Path, registry: dict[str, str]) -> None:
    """Never rolled back; promoted within three runs.

    On 2 cores shared with the rest of the suite, a 3-second interval of ~90 requests can fail
    a same-model check by chance (the judge's alpha; benchmarks/canary.py: 2 holds in 20 runs,
    no roll back): such a run holds, and the rehearsal is run again.
    """
    for _ in range(3):
        result = run(f"{RUN} {HALF} INTERVALS=2", project, env=registry, check=False)
        verdict = report(project)
        assert verdict["verdict"] != "roll back", result.stdout
        if verdict["verdict"] == "promote":
            break
    failed = [c for i in verdict["intervals"] for c in i.get("checks", []) if not c["passed"]]
    assert verdict["verdict"] == "promote", (result.stdout, failed)
    assert result.returncode == 0
    assert [item["outcome"] for item in verdict["intervals"]] == ["passed", "passed"]
    assert all(item["challenger_requests"] >= 50 for item in verdict["intervals"])
    assert "is now `champion`" in verdict["action"]
    html = (project / "reports/canary/canary.html").read_text()
    assert "Canary: promote" in html
    assert 'id="chart-latency_p99"' in html
    assert "| 2 |" in (project / "reports/canary/canary.md").read_text()


@pytest.mark.parametrize("kind", ["fail", "slow"])
def test_a_faulty_challenger_is_rolled_back_within_two_intervals(
    project: Path, registry: dict[str, str], kind: str, tmp_path: Path
) -> None:
    with faulty_challenger(project, kind, tmp_path / "challenger.log") as url:
        result = run(
            f"{RUN} {HALF} INTERVALS=4 CHALLENGER_URL={url}", project, env=registry, check=False
        )

    verdict = report(project)
    assert verdict["verdict"] == "roll back", result.stdout
    assert "canary] Error 1" in result.stderr  # the command's own status: roll back
    requests = [item["challenger_requests"] for item in verdict["intervals"]]
    first_full = next(index for index, count in enumerate(requests) if count >= 50)
    assert len(requests) - first_full <= 2, requests  # rolled back within two such intervals
    metric = {"fail": "error_rate", "slow": "latency_p99"}[kind]
    failed = {
        check["metric"] for check in verdict["intervals"][-1]["checks"] if not check["passed"]
    }
    assert metric in failed
    assert verdict["run"]["challenger_requests_after_roll_back"] == 0
    assert "share is 0" in verdict["action"]
    if kind == "slow":  # the planted delay is what the judge saw: beyond its 1.5x tolerance
        last = next(c for c in verdict["intervals"][-1]["checks"] if c["metric"] == metric)
        assert last["challenger"] > 1.5 * last["champion"]  # 10x the model's time, not its p99


def test_too_little_traffic_is_inconclusive_never_a_promotion(
    project: Path, registry: dict[str, str]
) -> None:
    result = run(f"{RUN} INTERVALS=1 SHARE=0.05 RATE=30", project, env=registry, check=False)

    verdict = report(project)
    assert verdict["verdict"] == "inconclusive", result.stdout
    assert "canary] Error 14" in result.stderr
    assert "not enough traffic" in verdict["intervals"][0]["reason"]
    assert verdict["action"] == ""
