"""The service under real uvicorn, probed with real sockets.

Slow and vanishing clients, oversized uploads and headers, floods of errors, malformed HTTP,
workers killed under load, and what two worker processes report and log together.
"""

from __future__ import annotations

import http.client
import json
import os
import select
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict
from urllib.parse import urlsplit

import pytest
import uvicorn

from {{ cookiecutter.package_name }}.core.task import Predictions
from {{ cookiecutter.package_name }}.scoring.runtime import ServingModel
from {{ cookiecutter.package_name }}.serve.app import INLINE_BYTES, create_app
from {{ cookiecutter.package_name }}.serve.protocol import DeadlineHttpProtocol
from {{ cookiecutter.package_name }}.serve.schemas import Record
from {{ cookiecutter.package_name }}.serve.server import supervise
from {{ cookiecutter.package_name }}.serve.settings import ServeSettings

from ..live_service import (
    SERVE,
    free_port,
    metric_value,
    running_service,
    serving_process,
    worker_pids,
    worker_that_cannot_start,
)

if TYPE_CHECKING:
    from {{ cookiecutter.package_name }}.core.features import Values  # a type alias only

TIMEOUT = 1.0  # SERVE_REQUEST_TIMEOUT and SERVE_KEEP_ALIVE_TIMEOUT of the service under test
RECORD = Record.model_json_schema()["examples"][0]
BATCHES, ROWS = 40, 2


class Port(TypedDict):
    """Where a helper connects to: the port of `live`, `sturdy` or a server of the test's own."""

    port: int | None


class Live(TypedDict):
    """The `live` service: its URL and port, its log and the folder its prediction log is in."""

    url: str
    port: int | None
    log: Path
    dir: Path


class Sturdy(TypedDict):
    """The `sturdy` service: its URL and port, its log and its server process."""

    url: str
    port: int | None
    log: Path
    process: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def live(serving_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
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


@pytest.fixture(scope="module")
def sturdy(serving_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sturdy]:
    """Two workers with the default timeouts and room for a 1,000-row batch of bad rows."""
    folder = tmp_path_factory.mktemp("sturdy")
    log = folder / "service.log"
    settings = {"SERVE_WORKERS": "2", "SERVE_MAX_BODY_BYTES": str(4 * 2**20)}
    with serving_process(serving_dir, log, **settings) as (url, process):
        yield {"url": url, "port": urlsplit(url).port, "log": log, "process": process}


def connect(live: Port) -> socket.socket:
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


def log_lines(live: Live | Sturdy) -> list[dict[str, Any]]:
    """The service's JSON log lines (uvicorn's own start-up lines are prose)."""
    lines = live["log"].read_text().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def post(live: Port, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", live["port"], timeout=30)
    try:
        connection.request(
            "POST", "/predict", body, {"content-type": "application/json", **(headers or {})}
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_silent_connection_is_closed_after_the_request_timeout(live: Live) -> None:
    with connect(live) as silent:
        assert seconds_until_closed(silent) < TIMEOUT + 1


def test_headers_sent_a_byte_at_a_time_are_cut_off(live: Live) -> None:
    headers = b"POST /predict HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 1_000

    with connect(live) as slow:
        assert seconds_until_closed(slow, headers) < TIMEOUT + 1


def test_body_sent_a_byte_at_a_time_is_cut_off(live: Live) -> None:
    with connect(live) as slow:
        slow.sendall(
            b"POST /predict HTTP/1.1\r\nHost: x\r\n"
            b"content-type: application/json\r\ncontent-length: 1000\r\n\r\n"
        )
        assert seconds_until_closed(slow, b" " * 1_000) < TIMEOUT + 1


def test_idle_keep_alive_connection_is_closed(live: Live) -> None:
    with connect(live) as idle:
        idle.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"200 OK" in idle.recv(1024)
        assert seconds_until_closed(idle) < int(TIMEOUT) + 1


def test_aborted_upload_is_one_log_line_not_a_traceback(live: Live) -> None:
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


def test_oversized_upload_gets_413_and_the_service_stays_healthy(live: Live) -> None:
    status, body = post(live, b" " * 20_000_000)

    assert status == 413
    assert b"SERVE_MAX_BODY_BYTES" in body
    with urllib.request.urlopen(f"{live['url']}/health", timeout=5) as health:
        assert health.status == 200


def test_two_workers_share_one_count_and_one_prediction_log(live: Live) -> None:
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


def test_a_second_service_on_the_same_port_is_refused(live: Live, serving_dir: Path) -> None:
    # Given a service whose workers share its port (each on a socket of its own),
    env = {**os.environ, "SERVE_MODEL_DIR": str(serving_dir), "SERVE_WORKERS": "2"}

    # when another one is started on that port,
    second = subprocess.run(
        [*SERVE, "--port", str(live["port"])],
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


def test_unwritable_prediction_log_stops_the_start_in_one_line(
    serving_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("not a folder")  # unwritable for root too
    env = {
        **os.environ,
        "SERVE_MODEL_DIR": str(serving_dir),
        "SERVE_PREDICTION_LOG": str(tmp_path / "a-file" / "logs" / "predictions.jsonl"),
    }

    start = subprocess.run(SERVE, env=env, capture_output=True, text=True, check=False)

    assert start.returncode == 2
    assert start.stderr.count("\n") == 1
    assert start.stderr.startswith("serve: SERVE_PREDICTION_LOG=")
    assert "Not a directory" in start.stderr


class BlockingModel:
    """The real model, held until released: a long inference, made deterministic."""

    def __init__(self, model: ServingModel) -> None:
        self.model = model
        self.entered = threading.Event()
        self.release = threading.Event()

    def predict(self, columns: Mapping[str, Values]) -> Predictions:
        self.entered.set()
        self.release.wait(timeout=30)
        return self.model.predict(columns)


def test_health_answers_while_a_prediction_is_running(serving_dir: Path) -> None:
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


def metric(service: Live | Sturdy, name: str, **labels: str) -> float:
    with urllib.request.urlopen(f"{service['url']}/metrics", timeout=5) as response:
        return metric_value(response.read().decode(), name, **labels)


def counted(service: Live | Sturdy, before: float, name: str, **labels: str) -> float:
    """How much the metric grew since `before`, once it has (a worker counts after answering)."""
    deadline = time.monotonic() + 10
    while (grown := metric(service, name, **labels) - before) < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    return grown


def health_latencies(service: Live | Sturdy, done: threading.Event) -> list[float]:
    """Probe /health on a new connection every 20 ms until `done`; each probe's seconds."""
    latencies = []
    while not done.is_set():
        start = time.monotonic()
        with urllib.request.urlopen(f"{service['url']}/health", timeout=30) as health:
            assert health.status == 200
        latencies.append(time.monotonic() - start)
        time.sleep(0.02)
    return latencies


def answer_while_sending(connection: socket.socket, head: bytes, body: bytes) -> tuple[bytes, int]:
    """Send `head`, then `body` while reading; stop once the server answers and hangs up.

    Returns what the server sent and how many bytes of `body` it took before answering.
    """
    connection.sendall(head)
    connection.setblocking(False)
    answer, sent = b"", 0
    while True:
        sending = [connection] if sent < len(body) else []
        readable, writable, _ = select.select([connection], sending, [], 30)
        if not readable and not writable:
            pytest.fail("the server neither answered nor took more bytes for 30 s")
        if readable:
            try:
                chunk = connection.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                return answer, sent
            answer += chunk
        elif writable:
            try:
                sent += connection.send(body[sent : sent + 65536])
            except (BrokenPipeError, ConnectionResetError):
                sent = len(body)  # nothing more to send; read what came back


def test_a_64_mb_header_gets_431_at_once_while_health_keeps_answering(sturdy: Sturdy) -> None:
    # Given a client sending a request whose one header is 64 MB,
    head = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Padding: "
    padding = b"a" * (64 * 2**20)
    done = threading.Event()
    probes: list[float] = []
    prober = threading.Thread(target=lambda: probes.extend(health_latencies(sturdy, done)))
    prober.start()
    try:
        start = time.monotonic()
        with socket.create_connection(("127.0.0.1", sturdy["port"]), timeout=30) as big:
            answer, taken = answer_while_sending(big, head, padding)
        seconds = time.monotonic() - start
        time.sleep(0.3)  # probes after the refusal too
    finally:
        done.set()
        prober.join(timeout=60)

    # then it is refused with 431 long before the header is all in (the bound is generous
    # for a busy machine: benchmarks/serve.py measures it), the connection closed,
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert b"SERVE_MAX_HEADER_BYTES" in answer
    assert taken < len(padding) // 4
    assert seconds < 10
    # and /health answered throughout
    assert probes
    assert max(probes) < 5


def test_too_many_header_fields_get_431(sturdy: Sturdy) -> None:
    fields = b"".join(b"X-Field-%d: 1\r\n" % number for number in range(101))
    head = b"GET /health HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n"

    with socket.create_connection(("127.0.0.1", sturdy["port"]), timeout=10) as many:
        answer, _ = answer_while_sending(many, head, b"")

    assert answer.startswith(b"HTTP/1.1 431 ")
    assert b"more than 100 header fields" in answer


def test_1000_rows_of_140_unknown_keys_get_a_small_422(sturdy: Sturdy) -> None:
    row = {**RECORD, **{f"u{number}": 0 for number in range(140)}}
    batch = json.dumps([row] * 1000).encode()

    status, body = post(sturdy, batch)

    assert status == 422
    assert len(body) < 64_000
    answer = json.loads(body)
    assert len(answer["detail"]) + answer["more_issues"] == 140 * 1000
    assert answer["detail"][0]["loc"] == ["body", 0, "u0"]


def test_413_on_a_keep_alive_connection_closes_it_at_once(sturdy: Sturdy) -> None:
    # Given a keep-alive client that declares a body over the limit and keeps uploading,
    head = (
        b"POST /predict HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
        b"content-length: 20000000\r\n\r\n"
    )
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", sturdy["port"]), timeout=30) as upload:
        answer, _ = answer_while_sending(upload, head, b" " * 20_000_000)
    seconds = time.monotonic() - start

    # then it gets 413 saying the connection closes, and the server ends the stream without
    # waiting for the rest of the upload or for the request deadline (10 s here)
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 413 ")
    assert b"connection: close" in rest.lower()
    assert seconds < 5


def test_parser_errors_are_counted_and_logged_as_json_with_the_client(sturdy: Sturdy) -> None:
    refused = {"method": "-", "path": "other", "status": "400"}
    before = metric(sturdy, "http_requests_total", **refused)

    with socket.create_connection(("127.0.0.1", sturdy["port"]), timeout=10) as garbage:
        answer, _ = answer_while_sending(garbage, b"NOT HTTP AT ALL\r\n\r\n", b"")
        client = f"127.0.0.1:{garbage.getsockname()[1]}"

    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b"x-content-type-options: nosniff" in answer
    assert counted(sturdy, before, "http_requests_total", **refused) == 1
    lines = log_lines(sturdy)
    assert any(line.get("client") == client and line.get("status") == 400 for line in lines)
    assert "Invalid HTTP request received" not in sturdy["log"].read_text()


def test_a_bad_chunk_mid_body_is_counted_as_the_400_the_client_got(sturdy: Sturdy) -> None:
    answered = {"method": "POST", "path": "/predict"}
    before = metric(sturdy, "http_requests_total", **answered, status="400")
    head = (
        b"POST /predict HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
        b'transfer-encoding: chunked\r\n\r\n5\r\n[{"a"\r\n'
    )

    with socket.create_connection(("127.0.0.1", sturdy["port"]), timeout=10) as chunks:
        chunks.sendall(head)
        time.sleep(0.2)  # the app is reading the body
        answer, _ = answer_while_sending(chunks, b"not a chunk size\r\n", b"")

    assert answer.startswith(b"HTTP/1.1 400 ")
    assert counted(sturdy, before, "http_requests_total", **answered, status="400") == 1
    assert metric(sturdy, "http_requests_total", **answered, status="499") == 0


def test_answers_name_no_server_and_forbid_sniffing(sturdy: Sturdy) -> None:
    with urllib.request.urlopen(f"{sturdy['url']}/health", timeout=5) as health:
        headers = health.headers

    assert "server" not in {name.lower() for name in headers}
    assert headers["x-content-type-options"] == "nosniff"


def test_killing_workers_twice_under_load_loses_only_their_requests_in_flight(
    sturdy: Sturdy,
) -> None:
    # Given clients posting records back to back, each on a new connection,
    clients, outcomes, errors, kills, done = 4, [], [], [], threading.Event()
    record = json.dumps(RECORD).encode()

    def client() -> None:
        while not done.is_set():
            try:
                outcomes.append((time.monotonic(), post(sturdy, record)[0]))
            except (OSError, http.client.HTTPException) as error:  # cut off mid-answer
                outcomes.append((time.monotonic(), -1))
                errors.append(f"{time.monotonic():.3f} {error!r}")

    def startups() -> int:
        return sturdy["log"].read_text().count("Application startup complete")

    def wait_for_startups(count: int) -> None:
        deadline = time.monotonic() + 60
        while startups() < count:
            assert time.monotonic() < deadline, sturdy["log"].read_text()[-3000:]
            time.sleep(0.05)

    wait_for_startups(2)  # /ready answered when the first worker was up
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    try:
        # when a worker is killed, and then its replacement as soon as it has started,
        started, victim = startups(), worker_pids(sturdy["process"].pid)[0]
        for kill in (1, 2):
            time.sleep(0.5)  # the clients are answered by both workers
            others = set(worker_pids(sturdy["process"].pid)) - {victim}
            os.kill(victim, signal.SIGKILL)
            kills.append(time.monotonic())
            errors.append(f"{kills[-1]:.3f} killed {victim}")
            wait_for_startups(started + kill)
            (victim,) = set(worker_pids(sturdy["process"].pid)) - others
        time.sleep(1)  # past the one second in which requests may fail
        last_kill_done = time.monotonic()
        time.sleep(0.5)
    finally:
        done.set()
        for thread in threads:
            thread.join(timeout=60)

    # then the service keeps answering: only requests on a killed worker failed (in flight,
    # or connections the kernel queued for it while the dying process still held its socket),
    failed = [when for when, status in outcomes if status != 200]
    assert len(outcomes) - len(failed) > 50
    assert all(any(0 < when - kill < 1 for kill in kills) for when in failed), errors
    assert len(failed) <= 2 * 2 * clients, errors
    assert sturdy["process"].poll() is None
    # it has two workers again, and answers after the last kill
    assert len(worker_pids(sturdy["process"].pid)) == 2
    assert any(when > last_kill_done and status == 200 for when, status in outcomes)
    replaced = [line for line in log_lines(sturdy) if line["message"].startswith("worker exited")]
    assert [line["exit"] for line in replaced[-2:]] == [-9, -9]


def test_supervisor_stops_when_no_worker_can_start(capsys: pytest.CaptureFixture[str]) -> None:
    # Given workers that fail to start every time (as a broken install would),
    port = free_port()

    # when the supervisor runs them, then it gives up after a few tries, saying why
    with pytest.raises(SystemExit, match="no worker could start \\(3 attempts in a row"):
        supervise(2, "127.0.0.1", port, 5, target=worker_that_cannot_start)
    lines = capsys.readouterr().err.splitlines()
    replaced = [json.loads(line) for line in lines if line.startswith("{")]
    assert [line["had_served"] for line in replaced] == [False, False, False]
    assert [line["restart_in_s"] for line in replaced][:2] == [0.5, 0.5]
