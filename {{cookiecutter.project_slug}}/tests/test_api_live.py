"""The service under real uvicorn, probed with real sockets.

Slow and vanishing clients, oversized uploads, and what two worker processes report and log
together.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from urllib.parse import urlsplit

import pytest
import uvicorn

from {{ cookiecutter.package_name }}.serve.app import INLINE_BYTES, create_app
from {{ cookiecutter.package_name }}.serve.schemas import Record
from {{ cookiecutter.package_name }}.serve.server import DeadlineHttpProtocol
from {{ cookiecutter.package_name }}.serve.settings import ServeSettings

from .live_service import SERVER, free_port, metric_value, running_service

TIMEOUT = 1.0  # SERVE_REQUEST_TIMEOUT and SERVE_KEEP_ALIVE_TIMEOUT of the service under test
RECORD = Record.model_json_schema()["examples"][0]
BATCHES, ROWS = 40, 2


@pytest.fixture(scope="module")
def live(serving_dir, tmp_path_factory):
    """Two workers with short timeouts and a small prediction log, as a dict of paths and URL."""
    folder = tmp_path_factory.mktemp("live")
    settings = {
        "SERVE_WORKERS": "2",
        "SERVE_REQUEST_TIMEOUT": str(TIMEOUT),
        "SERVE_KEEP_ALIVE_TIMEOUT": str(int(TIMEOUT)),
        "SERVE_PREDICTION_LOG": str(folder / "predictions.jsonl"),
        "SERVE_PREDICTION_LOG_SAMPLE": "1",
        "SERVE_PREDICTION_LOG_MAX_BYTES": "5000",
        "SERVE_PREDICTION_LOG_BACKUPS": "50",
    }
    with running_service(serving_dir, folder / "service.log", **settings) as url:
        yield {"url": url, "port": urlsplit(url).port, "log": folder / "service.log", "dir": folder}


def connect(live) -> socket.socket:
    return socket.create_connection(("127.0.0.1", live["port"]), timeout=10)


def seconds_until_closed(connection: socket.socket, drip: bytes = b"", every: float = 0.1) -> float:
    """Send `drip` a byte at a time (or nothing) until the server hangs up; return how long."""
    start = time.monotonic()
    connection.settimeout(every)
    for byte in [drip[i : i + 1] for i in range(len(drip))] or [b""] * 10_000:
        if time.monotonic() - start > 10 * TIMEOUT:
            break
        try:
            connection.sendall(byte)
            if connection.recv(1024) == b"":
                return time.monotonic() - start
        except TimeoutError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - start
    pytest.fail(f"the connection was still open after {time.monotonic() - start:.1f} s")


def log_lines(live) -> list[dict]:
    """The service's JSON log lines (uvicorn's own start-up lines are prose)."""
    lines = live["log"].read_text().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def post(live, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", live["port"], timeout=30)
    try:
        connection.request(
            "POST", "/predict", body, {"content-type": "application/json", **(headers or {})}
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_silent_connection_is_closed_after_the_request_timeout(live):
    with connect(live) as silent:
        assert seconds_until_closed(silent) < TIMEOUT + 1


def test_headers_sent_a_byte_at_a_time_are_cut_off(live):
    headers = b"POST /predict HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 1_000

    with connect(live) as slow:
        assert seconds_until_closed(slow, headers) < TIMEOUT + 1


def test_body_sent_a_byte_at_a_time_is_cut_off(live):
    with connect(live) as slow:
        slow.sendall(
            b"POST /predict HTTP/1.1\r\nHost: x\r\n"
            b"content-type: application/json\r\ncontent-length: 1000\r\n\r\n"
        )
        assert seconds_until_closed(slow, b" " * 1_000) < TIMEOUT + 1


def test_idle_keep_alive_connection_is_closed(live):
    with connect(live) as idle:
        idle.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"200 OK" in idle.recv(1024)
        assert seconds_until_closed(idle) < int(TIMEOUT) + 1


def test_aborted_upload_is_one_log_line_not_a_traceback(live):
    with connect(live) as aborted:
        aborted.sendall(
            b"POST /predict HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
            b"content-length: 100000\r\n\r\n" + b" " * 1_000
        )
        time.sleep(0.2)
    time.sleep(0.5)

    text = live["log"].read_text()
    assert "Traceback" not in text
    assert "Exception" not in text
    aborted_lines = [line for line in log_lines(live) if line.get("status") == 499]
    assert aborted_lines
    assert all(line["level"] == "INFO" and line["path"] == "/predict" for line in aborted_lines)


def test_oversized_upload_gets_413_and_the_service_stays_healthy(live):
    status, body = post(live, b" " * 20_000_000)

    assert status == 413
    assert b"SERVE_MAX_BODY_BYTES" in body
    with urllib.request.urlopen(f"{live['url']}/health", timeout=5) as health:
        assert health.status == 200


def test_two_workers_share_one_count_and_one_prediction_log(live):
    # Given two workers, when batches arrive on fresh connections (each worker takes some),
    def metric(name: str, **labels: str) -> float:
        with urllib.request.urlopen(f"{live['url']}/metrics", timeout=5) as response:
            return metric_value(response.read().decode(), name, **labels)

    def settled(target: float, name: str, **labels: str) -> float:
        """The metric once it reaches `target` (workers count after answering), or after 10 s."""
        deadline = time.monotonic() + 10
        while (value := metric(name, **labels)) < target and time.monotonic() < deadline:
            time.sleep(0.1)
        return value

    answered = {"method": "POST", "path": "/predict", "status": "200"}
    before = metric("http_requests_total", **answered)
    rows = BATCHES * ROWS
    for _ in range(BATCHES):
        assert post(live, json.dumps([RECORD] * ROWS).encode())[0] == 200

    # then /metrics counts every request, whichever worker answered it (a worker counts a
    # request once its answer is sent, so the last count may land just after the client has it)
    assert settled(before + BATCHES, "http_requests_total", **answered) - before == BATCHES
    # and every row reaches the one rotated log, in whole lines, none lost to a rotation
    settled(rows, "prediction_log_rows_total")
    files = sorted(live["dir"].glob("predictions*.jsonl"))
    logged = [json.loads(line) for path in files for line in path.read_text().splitlines()]
    assert len(logged) == rows
    assert {line["model_version"] for line in logged} == {"test"}
    assert len(files) > 1  # it was rotated along the way
    assert all(path.stat().st_size <= 5_000 for path in files)


def test_a_second_service_on_the_same_port_is_refused(live, serving_dir):
    # Given a service whose workers share its port (each on a socket of its own),
    env = {**os.environ, "SERVE_MODEL_DIR": str(serving_dir), "SERVE_WORKERS": "2"}

    # when another one is started on that port,
    second = subprocess.run(
        [sys.executable, "-m", SERVER, "--port", str(live["port"])],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    # then it stops at once, saying why, instead of quietly taking a share of the requests
    assert second.returncode == 1
    assert second.stderr.startswith(f"serve: cannot listen on 127.0.0.1:{live['port']}: ")
    assert second.stderr.count("\n") == 1


def test_unwritable_prediction_log_stops_the_start_in_one_line(serving_dir, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")  # unwritable for root too
    env = {
        **os.environ,
        "SERVE_MODEL_DIR": str(serving_dir),
        "SERVE_PREDICTION_LOG": str(tmp_path / "a-file" / "logs" / "predictions.jsonl"),
    }

    start = subprocess.run(
        [sys.executable, "-m", SERVER], env=env, capture_output=True, text=True, check=False
    )

    assert start.returncode == 2
    assert start.stderr.count("\n") == 1
    assert start.stderr.startswith("serve: SERVE_PREDICTION_LOG=")
    assert "Not a directory" in start.stderr


class BlockingModel:
    """The real model, held until released: a long inference, made deterministic."""

    def __init__(self, model) -> None:
        self.model = model
        self.entered = threading.Event()
        self.release = threading.Event()

    def predict(self, columns):
        self.entered.set()
        self.release.wait(timeout=30)
        return self.model.predict(columns)


def test_health_answers_while_a_prediction_is_running(serving_dir):
    # Given one worker whose model is busy with a request too large to score on the event loop
    # (however few and short the contract's features),
    rows = INLINE_BYTES // len(json.dumps(RECORD)) + 2
    app = create_app(ServeSettings(model_dir=serving_dir, max_batch_rows=rows, workers=1))
    port = free_port()
    config = uvicorn.Config(app, port=port, http=DeadlineHttpProtocol, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    model = BlockingModel(app.state.service.model)
    app.state.service.model = model
    batch = json.dumps([RECORD] * rows).encode()
    assert len(batch) > INLINE_BYTES  # scored in a thread
    busy = threading.Thread(target=post, args=({"port": port}, batch), daemon=True)
    try:
        busy.start()
        assert model.entered.wait(timeout=10)
        # when /health is asked meanwhile, then it answers: scoring does not hold the event loop
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as health:
            assert health.status == 200
    finally:
        model.release.set()
        busy.join(timeout=10)
        server.should_exit = True
        thread.join(timeout=10)
