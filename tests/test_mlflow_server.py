"""With MLFLOW_TRACKING_URI set, a pipeline run lands on a real MLflow server, unchanged code."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import bake, project_env, run

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("mlflow-server")]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(url: str, server: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"mlflow server exited early:\n{server.stdout.read()}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"mlflow server at {url} not healthy after {seconds} s")


@pytest.fixture(scope="module")
def server_and_project(tmp_path_factory):
    root = bake(tmp_path_factory.mktemp("server"))
    run("make install", root)
    store: Path = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    server = subprocess.Popen(
        [
            str(root / ".venv" / "bin" / "mlflow"),
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--backend-store-uri",
            f"sqlite:///{store / 'server.db'}",
            "--artifacts-destination",
            str(store / "artifacts"),
        ],
        cwd=store,
        env=project_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, server)
        yield url, root, store
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_pipeline_run_is_tracked_and_registered_on_the_server(server_and_project):
    url, root, store = server_and_project

    run("make repro", root, env={"MLFLOW_TRACKING_URI": url})

    assert not (root / "mlflow.db").exists(), "the local store must not be used"
    name = json.loads((root / ".cookiecutter.json").read_text())["project_slug"]
    script = (
        "import json, mlflow; c = mlflow.MlflowClient();"
        f"v = c.get_model_version_by_alias('{name}', 'challenger');"
        "r = c.get_run(v.run_id);"
        "print(json.dumps({'version': v.version, 'run': v.run_id, 'tags': r.data.tags,"
        " 'metrics': r.data.metrics, 'params': r.data.params}))"
    )
    result = run(f'uv run --locked python -c "{script}"', root, env={"MLFLOW_TRACKING_URI": url})
    logged = json.loads(result.stdout.splitlines()[-1])
    run_info = json.loads((root / "models" / "run.json").read_text())
    assert logged["run"] == run_info["run_id"]
    assert logged["version"] == run_info["version"] == "1"
    assert logged["tags"]["golden_sha256"]
    assert "golden_roc_auc" in logged["metrics"]
    assert logged["params"]["n_estimators"] == "100"
    assert list((store / "artifacts").rglob("MLmodel")), "model artifacts were not uploaded"
