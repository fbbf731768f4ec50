"""The service started as `make serve` and the image start it, for tests that need real sockets."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# The command `make serve` and the image run: the project's console script (cli.py).
SERVE = [str(Path(sys.executable).with_name("{{ cookiecutter.project_slug }}")), "serve"]


def metric_value(exposition: str, name: str, **labels: str) -> float:
    """One sample of a Prometheus exposition (labels in the order given), 0 when absent."""
    selector = ",".join(f'{key}="{value}"' for key, value in labels.items())
    sample = name + ("{" + selector + "}" if labels else "")
    found = re.search("^" + re.escape(sample) + r" (\S+)$", exposition, flags=re.M)
    return float(found.group(1)) if found else 0.0


def worker_that_cannot_start(*args: object) -> None:
    """A worker target for the supervisor that fails as a broken install would."""
    sys.exit(3)


def worker_pids(server: int) -> list[int]:
    """The supervisor's worker processes (multiprocessing's own helpers left out)."""
    children = Path(f"/proc/{server}/task/{server}/children").read_text().split()
    workers = []
    for pid in children:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue  # it just exited
        if b"spawn_main" in command:
            workers.append(int(pid))
    return workers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_service(serving_dir: Path, output: Path, **settings: str) -> Iterator[str]:
    """`{{ cookiecutter.project_slug }} serve` on a free port until the block ends.

    `settings` are SERVE_* variables, its log goes to `output`. Yields the base URL once
    /ready answers.
    """
    with serving_process(serving_dir, output, **settings) as (url, _):
        yield url


@contextmanager
def serving_process(
    serving_dir: Path, output: Path, **settings: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """As running_service, yielding the server's process beside its URL."""
    port = free_port()
    env = {**os.environ, "SERVE_MODEL_DIR": str(serving_dir), **settings}
    with output.open("w") as log:
        server = subprocess.Popen(
            [*SERVE, "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/ready", timeout=1):
                        break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        pytest.fail(f"the service did not become ready:\n{output.read_text()}")
                    time.sleep(0.05)  # a start takes about a second: poll closely
            yield url, server
        finally:
            server.terminate()
            server.wait(timeout=30)
