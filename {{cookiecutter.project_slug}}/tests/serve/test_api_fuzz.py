"""Fuzz the running service from its own OpenAPI schema with schemathesis (500+ requests).

Every generated request, valid or not, and every hostile body of fuzz_hooks.py must get a
documented, schema-conforming answer and never a 5xx. The CLI is used (not the pytest
plugin) so the fuzzer runs exactly as a developer runs it by hand:
`uv run schemathesis run http://127.0.0.1:8000/openapi.json`.
"""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings

from ..conftest import PROJECT
from ..fuzz_hooks import HOSTILE_BODIES
from ..live_service import running_service

pytestmark = pytest.mark.fuzz
EXAMPLES = 500
REQUEST_COUNT = r'http_requests_total\{method="\w+",path="[^"]*",status="(\d+)"\} (\S+)'


@pytest.fixture(scope="module")
def service_url(serving_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The service as the image runs it (two workers) on a free port, for the whole module."""
    log = tmp_path_factory.mktemp("fuzz") / "service.log"
    with running_service(serving_dir, log, SERVE_WORKERS="2") as url:
        yield url


def test_fuzzing_gets_only_documented_schema_valid_answers_and_no_5xx(service_url: str) -> None:
    # Given the running service, when schemathesis sends what its OpenAPI schema allows
    # and forbids, and the hostile bodies of fuzz_hooks.py, then every check passes
    # (schemathesis.toml configures them and loads the hooks)
    fuzz = subprocess.run(
        [
            *(sys.executable, "-m", "schemathesis.cli"),
            *("--config-file", str(PROJECT / "schemathesis.toml"), "--no-color"),
            *("run", f"{service_url}/openapi.json", "--checks", "all"),
            *("--max-examples", str(EXAMPLES)),
        ],
        cwd=PROJECT,
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


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile=HOSTILE_BODIES)
def test_every_hostile_body_gets_a_4xx_with_a_short_json_answer(
    service_url: str, hostile: tuple[str, bytes]
) -> None:
    media_type, body = hostile
    connection = http.client.HTTPConnection("127.0.0.1", urlsplit(service_url).port, timeout=30)
    try:
        connection.request("POST", "/predict", body, {"content-type": media_type})
        response = connection.getresponse()
        answer = response.read()
    finally:
        connection.close()

    assert 400 <= response.status < 500, answer[:500]
    assert len(answer) < 2_000  # the input is echoed only in short
    assert answer.startswith(b'{"detail":')
