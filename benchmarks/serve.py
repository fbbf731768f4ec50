"""Our scoring service against `mlflow models serve`, same model, machine and load generator.

Measures, for each server: time from process start to its first successful readiness probe
(/ready for ours, /ping for MLflow's), requests/s and p50/p99 latency of single-row requests
at concurrency 1 and 8, and the latency of a 1,000-row batch. Goals (issue: serving): at
least 15x MLflow's requests/s at concurrency 1, p99 under 5 ms at concurrency 1, a 1,000-row
batch under 50 ms, ready in under 3 s.

    uv run python benchmarks/serve.py [--seconds 5]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from _project import ENV, bake, timed


@dataclass(frozen=True)
class Server:
    name: str
    command: list[str]
    env: dict[str, str]
    ready_path: str
    predict_path: str
    wrap: str | None  # MLflow wants {"dataframe_records": [...]}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(server: Server, port: int, cwd: Path) -> tuple[subprocess.Popen, float]:
    """Start the server; return it and the seconds until its readiness probe first succeeds."""
    began = time.perf_counter()
    process = subprocess.Popen(
        [part.format(port=port) for part in server.command],
        cwd=cwd,
        env={**ENV, "PATH": f"{cwd / '.venv' / 'bin'}:{ENV['PATH']}", **server.env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while time.perf_counter() - began < 180:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", server.ready_path)
            if connection.getresponse().status == 200:
                return process, time.perf_counter() - began
        except OSError:
            time.sleep(0.02)
    process.kill()
    raise SystemExit(f"{server.name} was not ready after 180 s")


def body(server: Server, rows: list[dict]) -> bytes:
    payload: object = rows[0] if len(rows) == 1 else rows
    if server.wrap:
        payload = {server.wrap: rows}
    return json.dumps(payload).encode()


def load(server: Server, port: int, payload: bytes, workers: int, seconds: float) -> list[float]:
    """`workers` keep-alive clients posting `payload` for `seconds`; returns each latency."""
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        headers = {"content-type": "application/json"}
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            connection.request("POST", server.predict_path, payload, headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"{server.name} answered {response.status}")
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(server: Server, project: Path, rows: list[dict], seconds: float) -> dict[str, float]:
    port = free_port()
    process, ready = start(server, port, project)
    try:
        single = body(server, rows[:1])
        load(server, port, single, 1, 1.0)  # warm-up
        results = {"ready_s": ready}
        for workers in (1, 8):
            latencies = load(server, port, single, workers, seconds)
            results[f"rps_c{workers}"] = len(latencies) / seconds
            results[f"p50_ms_c{workers}"] = percentile(latencies, 0.50) * 1000
            results[f"p99_ms_c{workers}"] = percentile(latencies, 0.99) * 1000
        batch = body(server, rows[:1000])
        load(server, port, batch, 1, 1.0)
        results["batch1000_ms"] = statistics.median(load(server, port, batch, 1, seconds)) * 1000
        return results
    finally:
        process.terminate()
        process.wait(timeout=30)


def golden_rows(project: Path) -> list[dict]:
    script = (
        "import json; from customer_churn.model import features_of;"
        "from customer_churn.validation import read_csv;"
        "f = features_of(read_csv('data/golden/golden.csv'));"
        "print(f.to_json(orient='records'))"
    )
    out = subprocess.run(
        ["uv", "run", "--locked", "python", "-c", script],
        cwd=project,
        env=ENV,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each load run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = bake(Path(tmp))
        timed("make install && make repro", project)
        rows = golden_rows(project)
        venv = project / ".venv" / "bin"
        ours = Server(
            "ours (FastAPI + ONNX Runtime)",
            [
                str(venv / "uvicorn"),
                "customer_churn.serve.app:app",
                "--port",
                "{port}",
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            {"SERVE_MODEL_DIR": "models/serving"},
            "/ready",
            "/predict",
            None,
        )
        mlflow = Server(
            "mlflow models serve",
            [
                str(venv / "mlflow"),
                "models",
                "serve",
                "-m",
                "models:/customer-churn@challenger",
                "--env-manager",
                "local",
                "--port",
                "{port}",
                "--host",
                "127.0.0.1",
            ],
            {"MLFLOW_TRACKING_URI": "sqlite:///mlflow.db"},
            "/ping",
            "/invocations",
            "dataframe_records",
        )
        measured = {s.name: measure(s, project, rows, args.seconds) for s in (ours, mlflow)}

    mine, peer = measured[ours.name], measured[mlflow.name]
    print(f"\n{'':<16}{'ours':>12}{'mlflow':>12}{'ours/mlflow':>14}")
    for key in mine:
        ratio = mine[key] / peer[key] if peer[key] else float("nan")
        print(f"{key:<16}{mine[key]:>12.2f}{peer[key]:>12.2f}{ratio:>14.2f}")
    print(
        "\ngoals: rps_c1 ratio >= 15, p99_ms_c1 < 5, batch1000_ms < 50, ready_s < 3"
        f"\n(cores: {os.cpu_count()}; load generator: Python threads, keep-alive connections)"
    )


if __name__ == "__main__":
    main()
