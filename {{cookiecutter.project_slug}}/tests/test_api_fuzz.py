"""Fuzz the running service from its own OpenAPI schema with schemathesis (500+ requests).

Every generated request, valid or not, must get a documented, schema-conforming answer
and never a 5xx. The CLI is used (not the pytest plugin) so the fuzzer runs exactly as a
developer runs it by hand: `uv run schemathesis run http://127.0.0.1:8000/openapi.json`.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from .conftest import PROJECT

pytestmark = pytest.mark.fuzz
EXAMPLES = 500
APP = "{{ cookiecutter.package_name }}.serve.app:app"
REQUEST_COUNT = r'http_requests_total\{method="\w+",path="[^"]*",status="(\d+)"\} (\S+)'


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def service_url(serving_dir):
    """uvicorn serving the test model on a free local port, for as long as the module runs."""
    port = free_port()
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", APP),
            *("--host", "127.0.0.1", "--port", str(port), "--no-access-log"),
        ],
        env={**os.environ, "SERVE_MODEL_DIR": str(serving_dir)},
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/ready", timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("the service did not become ready within 30 s")
            time.sleep(0.2)
    yield url
    server.terminate()
    server.wait(timeout=10)


def test_fuzzing_gets_only_documented_schema_valid_answers_and_no_5xx(service_url):
    # Given the running service, when schemathesis sends what its OpenAPI schema allows
    # (and what it forbids), then every check passes (schemathesis.toml configures them)
    fuzz = subprocess.run(
        [
            *(sys.executable, "-m", "schemathesis.cli"),
            *("--config-file", str(PROJECT / "schemathesis.toml"), "--no-color"),
            *("run", f"{service_url}/openapi.json", "--checks", "all"),
            *("--max-examples", str(EXAMPLES)),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert fuzz.returncode == 0, fuzz.stdout[-5000:] + fuzz.stderr[-2000:]

    # and the service itself counted at least EXAMPLES requests, none answered with a 5xx
    with urllib.request.urlopen(f"{service_url}/metrics", timeout=5) as response:
        counts = re.findall(REQUEST_COUNT, response.read().decode())
    assert sum(float(count) for _, count in counts) >= EXAMPLES
    assert [status for status, _ in counts if status.startswith("5")] == []
