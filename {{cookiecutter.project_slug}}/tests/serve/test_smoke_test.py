"""scripts/smoke_test.py against a live service (what `make smoke` runs against the image)."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from {{ cookiecutter.package_name }}.serve.app import create_app
from {{ cookiecutter.package_name }}.serve.settings import ServeSettings

from ..conftest import PROJECT

SCRIPT = PROJECT / "scripts" / "smoke_test.py"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving(model_dir: Path) -> Iterator[str]:
    """The service on a free local port, in a thread, for the duration of the block."""
    port = free_port()
    config = uvicorn.Config(
        create_app(ServeSettings(model_dir=model_dir, max_batch_rows=50)),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def smoke(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), url, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_smoke_test_passes_against_a_ready_service(serving_dir: Path) -> None:
    with serving(serving_dir) as url:
        result = smoke(url)

    assert result.returncode == 0, result.stderr
    assert "smoke test passed" in result.stdout


def test_smoke_test_fails_when_the_model_is_not_loaded(tmp_path: Path) -> None:
    with serving(tmp_path) as url:
        result = smoke(url, "--wait", "0.2")  # one retry, then it gives up

    assert result.returncode == 1
    assert "not ready after 0.2s: /ready answered 503" in result.stderr
