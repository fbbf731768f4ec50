"""Build the generated Dockerfile, run it, probe it.

tests/containers.py: a Docker engine where one answers, else buildah from a Debian base
debootstrapped from this machine's mirror.

The checks are the ones a release needs: non-root user, healthcheck, exposed port, the API
answering good and bad requests, predictions equal to the pipeline's on the whole golden
set, and a prediction log the service user can write.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from . import containers
from .backends import call
from .conftest import TRAINED, run

# The default project after `make install repro` that the drift and batch modules read too:
# the image is built from it (its .dockerignore lets in only the source and models/serving/).
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(TRAINED)]
TAG = f"localhost/customer-churn:test-{uuid.uuid4().hex[:8]}"
BATCH = 1000


@pytest.fixture(scope="module")
def image(trained_project: Path) -> Iterator[Path]:
    containers.ensure_tools()
    base = containers.ensure_base_image()
    project = trained_project
    containers.build(
        project,
        project / "Dockerfile",
        TAG,
        {"VERSION": "1.2.3", "REVISION": "0123abc"},
        base_image=base,
    )
    size = containers.image_size_mb(TAG) - containers.image_size_mb(base)
    print(f"\nimage {TAG}: {size:.0f} MB above the base image")
    yield project
    containers.remove_image(TAG)


def test_image_runs_as_non_root_with_healthcheck_port_and_labels(image: Path) -> None:
    config = containers.image_config(TAG)

    assert config["User"]
    assert config["User"].split(":")[0] not in {"0", "root"}
    assert config["Healthcheck"]["Test"]
    assert "8000/tcp" in config["ExposedPorts"]
    assert config["Labels"]["org.opencontainers.image.revision"] == "0123abc"
    assert config["Labels"]["org.opencontainers.image.version"] == "1.2.3"


def test_running_image_answers_and_predicts_like_the_pipeline(image: Path) -> None:
    golden = run(
        'uv run --locked python -c "'
        "import json; from customer_churn.core.contract import feature_names;"
        "from customer_churn.core.model import features_of, load;"
        "from customer_churn.core.validation import read_csv;"
        "golden = read_csv('data/golden/golden.csv');"
        "labels = load('models/model.skops').predict(features_of(golden)).tolist();"
        "rows = json.loads(golden[feature_names()].to_json(orient='records'));"
        "print(json.dumps({'rows': rows, 'labels': labels}))\"",
        image,
    ).stdout
    expected = json.loads(golden.splitlines()[-1])

    with containers.running(TAG, 8000, path="/health") as url:
        assert call(f"{url}/health") == (200, {"status": "ok"})
        status, ready = call(f"{url}/ready")
        assert status == 200
        assert ready["runtime"] == "onnx"
        assert containers.run_healthcheck(TAG).returncode == 0

        status, bad = call(f"{url}/predict", {**expected["rows"][0], "age": 400})
        assert status == 422
        assert bad["detail"][0]["loc"][-1] == "age"

        served = []
        for start in range(0, len(expected["rows"]), BATCH):
            status, body = call(f"{url}/predict", expected["rows"][start : start + BATCH])
            assert status == 200
            served += [p["prediction"] for p in body["predictions"]]

    assert served == expected["labels"]


def metric(url: str, name: str) -> float:
    with urllib.request.urlopen(f"{url}/metrics", timeout=30) as response:
        found = re.search(rf"^{name} (\S+)$", response.read().decode(), flags=re.M)
    return float(found.group(1)) if found else 0.0


def test_service_user_writes_the_prediction_log_at_the_documented_path(image: Path) -> None:
    # Given the image run as its non-root user with the log at the path its Dockerfile names,
    logging = {
        "SERVE_PREDICTION_LOG": "/srv/logs/predictions.jsonl",
        "SERVE_PREDICTION_LOG_SAMPLE": "1",
    }
    with containers.running(TAG, 8000, env=logging, path="/health") as url:
        status, metadata = call(f"{url}/metadata")
        assert status == 200
        # when it scores 25 rows,
        status, _ = call(f"{url}/predict", metadata["input_schema"]["examples"] * 25)
        assert status == 200
        # then all 25 are written (the counter moves only after a successful write), none dropped
        deadline = time.monotonic() + 30
        while metric(url, "prediction_log_rows_total") < 25 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert metric(url, "prediction_log_rows_total") == 25
        assert metric(url, "prediction_log_dropped_rows_total") == 0
