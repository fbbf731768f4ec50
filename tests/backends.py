"""Real backends on loopback for the end-to-end tests.

An S3 API (moto in server mode), a PostgreSQL server (Debian's `postgresql` package) and an MLflow
tracking server on both.

Each is a context manager that starts the real program on a free port of 127.0.0.1, waits
until it answers and stops it (and only it) on exit. `.ci/run` installs what they need.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:  # boto3-stubs, a dev dependency: the client's methods typed
    from mypy_boto3_s3 import S3Client

# moto accepts any credentials; these names are what DVC (boto) and MLflow read.
S3_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class BackendError(RuntimeError):
    """A backend did not start; the message holds its log."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def call(url: str, body: object | None = None) -> tuple[int, Any]:
    """GET `url`, or POST `body` as JSON; the status and the JSON answer, an error's too."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data, {"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_for_http(
    url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 120
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BackendError(f"{url} exited early:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise BackendError(f"{url} did not answer within {seconds:.0f} s:\n{log.read_text()[-4000:]}")


@contextlib.contextmanager
def process_group(
    command: list[str], log: Path, *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command` in its own process group; on exit stop that group (only it)."""
    with log.open("w") as output:
        process = subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=cwd,
            env=env,
        )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@dataclass(frozen=True)
class S3:
    endpoint: str

    @property
    def env(self) -> dict[str, str]:
        """What a client needs: DVC reads AWS_ENDPOINT_URL, MLflow MLFLOW_S3_ENDPOINT_URL."""
        return {
            **S3_CREDENTIALS,
            "AWS_ENDPOINT_URL": self.endpoint,
            "MLFLOW_S3_ENDPOINT_URL": self.endpoint,
        }

    def client(self) -> S3Client:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=S3_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=S3_CREDENTIALS["AWS_DEFAULT_REGION"],
        )

    def keys(self, bucket: str) -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]


@contextlib.contextmanager
def moto_s3(folder: Path, buckets: tuple[str, ...]) -> Iterator[S3]:
    """Moto's S3 API in server mode, with `buckets` created."""
    port = free_port()
    server = Path(sys.executable).with_name("moto_server")
    log = folder / "moto.log"
    with process_group([str(server), "-H", "127.0.0.1", "-p", str(port)], log) as process:
        s3 = S3(f"http://127.0.0.1:{port}")
        wait_for_http(f"{s3.endpoint}/moto-api/", process, log)
        for bucket in buckets:
            s3.client().create_bucket(Bucket=bucket)
        yield s3


def postgres_bin(name: str) -> str:
    """A PostgreSQL server program; Debian keeps them out of PATH, under one folder a version."""
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not found:
        raise BackendError(
            f"PostgreSQL's {name} was not found: install Debian's package (apt-get install "
            "postgresql), as .ci/run does"
        )
    return str(found[-1])


@contextlib.contextmanager
def postgres(database: str) -> Iterator[str]:
    """A throwaway PostgreSQL cluster on 127.0.0.1 with `database`; yields its SQLAlchemy URL.

    PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user
    the Debian package creates (in a folder of its own under the system temporary folder).
    """
    as_root = os.geteuid() == 0
    owner = "postgres" if as_root else getpass.getuser()
    folder = Path(tempfile.mkdtemp(prefix="mlops-template-postgres-"))

    def pg(program: str, *args: str) -> list[str]:
        prefix = ["runuser", "-u", owner, "--"] if as_root else []
        return [*prefix, postgres_bin(program), *args]

    try:
        if as_root:
            shutil.chown(folder, owner, owner)
        data = str(folder / "data")
        initdb = pg("initdb", "-D", data, "-U", "postgres", "-A", "trust")
        subprocess.run(initdb, check=True, capture_output=True)
        port = free_port()
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder}"
        log = folder / "postgres.log"
        start = pg("pg_ctl", "-D", data, "-o", options, "-w", "-l", str(log), "start")
        started = subprocess.run(start, capture_output=True, text=True, check=False)
        if started.returncode != 0:
            raise BackendError(f"PostgreSQL did not start: {started.stderr}\n{log.read_text()}")
        try:
            host = ("-h", "127.0.0.1", "-p", str(port), "-U", "postgres")
            subprocess.run(pg("createdb", *host, database), check=True, capture_output=True)
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}"
        finally:
            stop = pg("pg_ctl", "-D", data, "-m", "fast", "-w", "stop")
            subprocess.run(stop, capture_output=True, check=False)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def mlflow_server(
    project: Path, backend_store: str, artifacts: str, env: dict[str, str]
) -> Iterator[str]:
    """`mlflow server` of the project's own MLflow version; yields its URL.

    With the drivers a deployment adds (psycopg for PostgreSQL, boto3 for S3).
    """
    port = free_port()
    command = [
        "uv", "run", "--locked", "--with", "psycopg[binary]", "--with", "boto3",
        "mlflow", "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--backend-store-uri", backend_store, "--artifacts-destination", artifacts,
    ]  # fmt: skip
    log = Path(tempfile.mkdtemp(prefix="mlops-template-mlflow-")) / "mlflow.log"
    with process_group(command, log, cwd=project, env=env) as process:
        url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{url}/health", process, log, seconds=240)
        yield url
    shutil.rmtree(log.parent, ignore_errors=True)
