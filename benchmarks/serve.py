"""Our scoring service against `mlflow models serve`, same model, machine and load generator.

Both servers run with the same number of uvicorn workers (--workers, default 2: one per
core of the 2-core reference machine), side by side; each measurement alternates between
them in three rounds, so the machine's other load weighs on each alike. Measured for each,
in one run:

- ready_s: process start to the first successful readiness probe (/ready, MLflow's /ping);
- single-row requests at concurrency 1 and 8: requests/s, p50 and p99 latency, the CPU
  cores the server's processes used meanwhile and requests per CPU second, and the scaling
  from 1 to 8 clients (c8_over_c1; on a shared machine, cores_used_c8 says how much CPU
  the server was given to scale into);
- batch1000_ms: median latency of a 1,000-row batch;
- health_p50_ms / health_p99_ms: liveness probes (/health, MLflow's /ping), each on a new
  connection, while two clients post 1,000-row batches back to back (health_p99_ms_idle:
  the same probes with no load, the floor this machine's scheduling sets);
- four concurrent oversized bodies (a record whose category is a --oversized-mb MB string,
  as a hostile client would send): resident memory of the whole server (all processes)
  idle and at its peak, their ratio, and the slowest liveness probe meanwhile;
- one request with a --header-mb MB header: the time until the server answers it
  (header_answer_ms; ours refuses it with 431) and the liveness probes meanwhile
  (health_p99_ms_header);
- cores_free_start, cores_free_c1, cores_free_c8, cores_free_batch: the CPU cores the rest
  of the machine left during each figure, on average: the machine's cores less what other
  programs used (/proc/stat's busy time less the servers' and this benchmark's own
  processes' CPU time) and less the time the hypervisor stole. A shared machine can starve
  a measurement: a goal whose figure was taken while other work held more than BUSY_CORES
  is "not judged" rather than met or missed; the ratios against MLflow are printed
  regardless (the servers take turns, so the load weighs on each alike).

Goals (issue: serving): rps_c1 at least 15x MLflow's, p99_ms_c1 < 5, batch1000_ms < 50,
ready_s < 3; health_p99_ms < 20 under batch load; c8_over_c1 >= 1.7 with 2 workers;
peak_over_idle < 2 under oversized bodies; header_answer_ms < 1000 and
health_p99_ms_header < 100 under a 64 MB header. `--before REF` also measures the service as
it was at REF of this repository (its serve/ package on the same project, model and
workers), so a change can show in the same run that the single-row and batch figures did
not regress.

    uv run python benchmarks/serve.py [--seconds 5] [--workers 2] [--oversized-mb 50]
                                      [--header-mb 64] [--before main]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import multiprocessing.synchronize
import os
import select
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from _project import ENV, TEMPLATE, bake, timed

Row = dict[str, Any]  # one input record, as JSON


@dataclass(frozen=True)
class Server:
    """A scoring service to measure: how to start it and the paths it answers on."""

    name: str
    command: list[str]
    env: dict[str, str]
    ready_path: str
    health_path: str
    predict_path: str
    wrap: str | None  # MLflow wants {"dataframe_records": [...]} of the model's input frame


class Connection:
    """A blocking keep-alive HTTP/1.1 client on a raw socket, for probes and big uploads."""

    def __init__(self, port: int, timeout: float = 120) -> None:
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def request(self, raw: bytes) -> int:
        """Send a prepared request; return the status once the whole answer is read."""
        self.socket.sendall(raw)
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._read()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(self.buffer) < length:
            self.buffer += self._read()
        self.buffer = self.buffer[length:]
        return int(head.split(b" ", 2)[1])

    def _read(self) -> bytes:
        chunk = self.socket.recv(1 << 20)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        return chunk

    def close(self) -> None:
        """Close the connection."""
        self.socket.close()


def get(path: str) -> bytes:
    """A raw keep-alive GET request for `path`."""
    return f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()


def post(path: str, body: bytes) -> bytes:
    """A raw keep-alive POST request of a JSON `body` to `path`."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: bench\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(server: Server, port: int, cwd: Path) -> tuple[subprocess.Popen[bytes], float]:
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
            connection = Connection(port, timeout=1)
            try:
                if connection.request(get(server.ready_path)) == 200:
                    return process, time.perf_counter() - began
            finally:
                connection.close()
        except OSError:
            time.sleep(0.02)
    process.kill()
    raise SystemExit(f"{server.name} was not ready after 180 s")


def body(server: Server, rows: list[Row]) -> bytes:
    """The request body `server` takes for `rows` (one row: a bare record)."""
    payload: object = rows[0] if len(rows) == 1 else rows
    if server.wrap:
        payload = {server.wrap: rows}
    return json.dumps(payload).encode()


def load(port: int, raw: bytes, clients: int, seconds: float, expect: int = 200) -> list[float]:
    """`clients` keep-alive connections sending `raw` for `seconds`; returns each latency.

    One asyncio loop drives them all: Python threads contending for the GIL would cap the
    rate near 1,300 requests/s here, whichever server is measured.
    """
    return asyncio.run(_load(port, raw, clients, seconds, expect))


async def _load(port: int, raw: bytes, clients: int, seconds: float, expect: int) -> list[float]:
    deadline = time.perf_counter() + seconds

    async def client() -> list[float]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 24)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        latencies = []
        try:
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                writer.write(raw)
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                status = int(lines[0].split(b" ", 2)[1])
                length = next(
                    int(value)
                    for name, _, value in (line.partition(b":") for line in lines[1:])
                    if name.strip().lower() == b"content-length"
                )
                await reader.readexactly(length)
                if status != expect:
                    raise SystemExit(f"load on port {port}: answered {status}")
                latencies.append(time.perf_counter() - start)
        finally:
            writer.close()
        return latencies

    answers = await asyncio.gather(*(client() for _ in range(clients)))
    return [latency for latencies in answers for latency in latencies]


def probe_while(port: int, path: str, busy: Callable[[], object], every: float) -> list[float]:
    """Liveness latencies, one probe each `every` seconds, while `busy()` runs.

    Each probe opens its own connection, as an orchestrator's does, so it lands on any worker; the
    prober is its own process, as the orchestrator is, so the load generator's GIL in this one never
    delays a probe.
    """
    results: multiprocessing.Queue[list[float]] = multiprocessing.Queue()
    done = multiprocessing.Event()
    prober = multiprocessing.Process(target=_probe, args=(port, path, every, done, results))
    prober.start()
    try:
        busy()
    finally:
        done.set()
    latencies = results.get(timeout=120)
    prober.join()
    return latencies


def _probe(
    port: int,
    path: str,
    every: float,
    done: multiprocessing.synchronize.Event,
    results: multiprocessing.Queue[list[float]],
) -> None:
    latencies: list[float] = []
    while not done.is_set():
        start = time.perf_counter()
        connection = Connection(port)
        try:
            connection.request(get(path))
        finally:
            connection.close()
        latencies.append(time.perf_counter() - start)
        time.sleep(every)
    results.put(latencies)


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants (uvicorn's supervisor and its workers)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used so far."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def resident_mb(pids: list[int]) -> float:
    """The resident memory of the processes, in MiB (those gone count nothing)."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def oversized(
    server: Server, port: int, pids: list[int], row: Row, megabytes: int
) -> dict[str, float]:
    """Four clients each post one record with a `megabytes` MB category; memory and /health."""
    raw = post(server.predict_path, body(server, [{**row, "contract": "x" * megabytes * 2**20}]))
    idle = resident_mb(pids)
    peak = idle
    statuses: list[int] = []

    def upload() -> None:
        connection = Connection(port, timeout=300)
        try:
            statuses.append(connection.request(raw))
        except OSError as error:
            statuses.append(-1)
            print(f"  {server.name}: oversized upload failed: {error!r}")
        finally:
            connection.close()

    def four_uploads() -> None:
        nonlocal peak
        threads = [threading.Thread(target=upload) for _ in range(4)]
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            peak = max(peak, resident_mb(pids))
            time.sleep(0.01)
        peak = max(peak, resident_mb(pids))

    health = probe_while(port, server.health_path, four_uploads, every=0.05)
    print(f"  {server.name}: oversized bodies answered {sorted(statuses)}")
    return {
        "idle_mb": idle,
        "peak_mb": peak,
        "peak_over_idle": peak / idle,
        "health_max_ms_oversized": max(health) * 1000,
    }


def giant_header(server: Server, port: int, megabytes: int) -> dict[str, float]:
    """One request with a `megabytes` MB header: seconds to the answer, /health meanwhile."""
    head = f"GET {server.health_path} HTTP/1.1\r\nHost: bench\r\nX-Padding: ".encode()
    padding = b"a" * (megabytes * 2**20)
    answered: list[float] = []
    statuses: list[bytes] = []

    def send() -> None:
        start = time.perf_counter()
        connection = socket.create_connection(("127.0.0.1", port), timeout=120)
        try:
            connection.sendall(head)
            connection.setblocking(False)
            sent, answer = 0, b""
            while True:
                wanted = [connection] if sent < len(padding) else []
                readable, writable, _ = select.select([connection], wanted, [], 120)
                if readable:
                    try:
                        chunk = connection.recv(1 << 16)
                    except ConnectionResetError:
                        chunk = b""
                    answer += chunk
                    if not chunk or b"\r\n" in answer:
                        break
                elif writable:
                    try:
                        sent += connection.send(padding[sent : sent + (1 << 16)])
                    except (BrokenPipeError, ConnectionResetError):
                        sent = len(padding)
                elif not readable:
                    break
        finally:
            connection.close()
        answered.append(time.perf_counter() - start)
        statuses.append(answer.partition(b"\r\n")[0][9:12] or b"none")

    def send_then_wait() -> None:
        send()
        time.sleep(0.3)  # a fast refusal is over before the prober's first probe

    health = probe_while(port, server.health_path, send_then_wait, every=0.01)
    print(f"  {server.name}: {megabytes} MB header answered {statuses[0].decode()}")
    return {
        "header_answer_ms": answered[0] * 1000,
        "health_p99_ms_header": percentile(health, 0.99) * 1000,
    }


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of `values` lie."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@dataclass(frozen=True)
class Running:
    """A started server and the golden rows it takes."""

    server: Server
    port: int
    pids: list[int]  # all its processes
    rows: list[Row]  # golden rows as this server takes them

    def post(self, count: int) -> bytes:
        """A request scoring the first `count` golden rows (one row: a bare record)."""
        return post(self.server.predict_path, body(self.server, self.rows[:count]))


ROUNDS = 3  # each measurement is split into rounds that alternate between the servers
BUSY_CORES = 0.5  # other work holding more cores than this during a figure: not judged
Take = Callable[[Running, float], dict[str, list[float]]]


def machine_cpu() -> tuple[float, float]:
    """Seconds of CPU the whole machine has spent busy, and stolen by the hypervisor."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, steal / tick


def machine_cores() -> int:
    """The cores /proc/stat counts (what its busy time is spread over)."""
    return sum(line[3:4].isdigit() for line in Path("/proc/stat").read_text().splitlines())


def own_cpu() -> float:
    """CPU seconds of this benchmark: the load generator and its finished probe processes."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def cores_free(
    running: list[Running], take: Callable[[], dict[str, list[float]]]
) -> tuple[dict[str, list[float]], float]:
    """Run `take`; return what it took and the cores left free meanwhile.

    Free: what other programs and the hypervisor left.
    """
    servers = [pid for run in running for pid in run.pids]
    began = time.perf_counter()
    busy, stolen = machine_cpu()
    ours = cpu_seconds(servers) + own_cpu()
    taken = take()
    wall = time.perf_counter() - began
    busy_after, stolen_after = machine_cpu()
    others = max(0.0, busy_after - busy - (cpu_seconds(servers) + own_cpu() - ours))
    return taken, machine_cores() - (others + stolen_after - stolen) / wall


def alternating(
    running: list[Running], seconds: float, take: Take
) -> dict[str, dict[str, list[float]]]:
    """`take` from each server in turn, ROUNDS times, for `seconds` in all; samples pooled.

    Pooling makes a change in this machine's other load hit every server alike. Each turn also
    records the cores the rest of the machine left free ("free").
    """
    pooled: dict[str, dict[str, list[float]]] = {run.server.name: {} for run in running}
    for _ in range(ROUNDS):
        for run in running:
            taken, free = cores_free(running, partial(take, run, seconds / ROUNDS))
            for key, values in [*taken.items(), ("free", [free])]:
                pooled[run.server.name].setdefault(key, []).extend(values)
    return pooled


def single_rows(clients: int) -> Take:
    """Measure one-row requests from `clients` clients: latencies and CPU."""

    def take(run: Running, seconds: float) -> dict[str, list[float]]:
        used = cpu_seconds(run.pids)
        latencies = load(run.port, run.post(1), clients, seconds)
        return {"latency": latencies, "cpu": [cpu_seconds(run.pids) - used]}

    return take


def batches() -> Take:
    """Measure 1000-row batches, and /health when idle and under that load."""

    def take(run: Running, seconds: float) -> dict[str, list[float]]:
        batch = run.post(1000)
        health = run.server.health_path
        return {
            "batch": load(run.port, batch, 1, seconds),
            "idle": probe_while(run.port, health, lambda: time.sleep(seconds), every=0.01),
            "busy": probe_while(
                run.port, health, lambda: load(run.port, batch, 2, seconds), every=0.01
            ),
        }

    return take


def measure(
    servers: list[Server], project: Path, rows: dict[str, list[Row]], args: argparse.Namespace
) -> dict[str, dict[str, float]]:
    """Start every server, then take each measurement of all of them, alternating."""
    results: dict[str, dict[str, float]] = {}
    running: list[Running] = []
    processes: list[subprocess.Popen[bytes]] = []
    seconds = args.seconds
    try:
        for server in servers:
            port = free_port()
            earlier = [pid for run in running for pid in run.pids]
            began, (busy, stolen), ours = time.perf_counter(), machine_cpu(), own_cpu()
            ours += cpu_seconds(earlier)
            process, ready = start(server, port, project)
            pids = process_tree(process.pid)
            # the cores other work left free while it started (its own CPU counts from birth)
            ours = cpu_seconds(pids) + cpu_seconds(earlier) + own_cpu() - ours
            (busy_after, stolen_after), wall = machine_cpu(), time.perf_counter() - began
            others = max(0.0, busy_after - busy - ours) + stolen_after - stolen
            results[server.name] = {
                "ready_s": ready,
                "cores_free_start": machine_cores() - others / wall,
            }
            processes.append(process)
            inputs = rows["model_input" if server.wrap else "contract"]
            run = Running(server, port, pids, inputs)
            load(port, run.post(1), 1, 1.0)  # warm-up
            load(port, run.post(1000), 1, 1.0)
            running.append(run)
        for clients in (1, 8):
            for name, taken in alternating(running, seconds, single_rows(clients)).items():
                latencies, cpu = taken["latency"], sum(taken["cpu"])
                results[name].update(
                    {
                        f"rps_c{clients}": len(latencies) / seconds,
                        f"p50_ms_c{clients}": percentile(latencies, 0.50) * 1000,
                        f"p99_ms_c{clients}": percentile(latencies, 0.99) * 1000,
                        f"cores_used_c{clients}": cpu / seconds,
                        f"requests_per_cpu_s_c{clients}": len(latencies) / cpu,
                        f"cores_free_c{clients}": statistics.mean(taken["free"]),
                    }
                )
        for name, taken in alternating(running, seconds, batches()).items():
            mine = results[name]
            mine["c8_over_c1"] = mine["rps_c8"] / mine["rps_c1"]
            mine["batch1000_ms"] = statistics.median(taken["batch"]) * 1000
            mine["health_p99_ms_idle"] = percentile(taken["idle"], 0.99) * 1000
            mine["health_p50_ms"] = percentile(taken["busy"], 0.50) * 1000
            mine["health_p99_ms"] = percentile(taken["busy"], 0.99) * 1000
            mine["cores_free_batch"] = statistics.mean(taken["free"])
        for run in running:
            results[run.server.name].update(
                oversized(run.server, run.port, run.pids, run.rows[0], args.oversized_mb)
            )
        for run in running:
            results[run.server.name].update(giant_header(run.server, run.port, args.header_mb))
        return results
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=60)


def service_before(ref: str, where: Path) -> Path:
    """The generated src/ folder of this template at `ref` (default answers)."""
    template = where / "template-before"
    template.mkdir()
    subprocess.run(
        f"git archive {ref} | tar -x -C {template}", shell=True, cwd=TEMPLATE, check=True
    )
    with tempfile.TemporaryDirectory() as scratch:
        old = subprocess.run(
            ["uv", "run", "cookiecutter", "--no-input", str(template), "-o", scratch],
            cwd=TEMPLATE,
            env={**ENV, "UV_OFFLINE": "1"},
            capture_output=True,
            check=False,
        )
        rendered = Path(scratch) / "customer-churn" / "src"
        if not rendered.is_dir():
            raise SystemExit(f"could not render {ref}: {old.stderr.decode()[-2000:]}")
        subprocess.run(["cp", "-r", str(rendered), str(where / "src-before")], check=True)
    return where / "src-before"


def golden_rows(project: Path) -> dict[str, list[Row]]:
    """The golden set's features as the API takes them and as MLflow's pyfunc takes them.

    The API takes the contract's types (true/false flags, null for a missing value); the model's
    input frame has flags as 1.0/0.0 and a missing category as the encoder's placeholder.
    """
    script = (
        "import json; from customer_churn.core.contract import FEATURES;"
        "from customer_churn.core.model import features_of;"
        "from customer_churn.core.validation import read_csv;"
        "golden = read_csv('data/golden/golden.csv');"
        "contract = golden[[feature.name for feature in FEATURES]];"
        "model = features_of(golden);"
        "print(json.dumps({'contract': json.loads(contract.to_json(orient='records')),"
        " 'model_input': json.loads(model.to_json(orient='records'))}))"
    )
    out = subprocess.run(
        ["uv", "run", "--locked", "python", "-c", script],
        cwd=project,
        env=ENV,
        capture_output=True,
        text=True,
        check=True,
    )
    rows: dict[str, list[Row]] = json.loads(out.stdout)
    return rows


GOALS = {
    "rps_c1": ("ratio >=", 15),
    "p99_ms_c1": ("ours <", 5),
    "batch1000_ms": ("ours <", 50),
    "ready_s": ("ours <", 3),
    "health_p99_ms": ("ours <", 20),
    "c8_over_c1": ("ours >=", 1.7),
    "peak_over_idle": ("ours <", 2),
    "header_answer_ms": ("ours <", 1000),
    "health_p99_ms_header": ("ours <", 100),
}
# The figure whose free cores decide whether a goal can be judged (memory needs no cores).
FIGURE = {
    "ready_s": "cores_free_start",
    "rps_c1": "cores_free_c1",
    "p99_ms_c1": "cores_free_c1",
    "c8_over_c1": "cores_free_c8",
    "batch1000_ms": "cores_free_batch",
    "health_p99_ms": "cores_free_batch",
}


def verdict(key: str, mine: dict[str, float], ratio: float) -> str:
    """Whether a figure met its goal, unless other work on the machine skewed it."""
    if key not in GOALS:
        return ""
    rule, goal = GOALS[key]
    free = mine.get(FIGURE.get(key, ""), machine_cores())
    if machine_cores() - free > BUSY_CORES:
        return f"{rule} {goal}: not judged (other work held {machine_cores() - free:.1f} cores)"
    value = ratio if rule.startswith("ratio") else mine[key]
    met = value >= goal if rule.endswith(">=") else value < goal
    return f"{rule} {goal}: {'met' if met else 'MISSED'}"


def main() -> None:
    """Start our service and `mlflow models serve` on the same model; measure both."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each load run")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers of each server")
    parser.add_argument("--oversized-mb", type=int, default=50, help="size of each big body")
    parser.add_argument("--header-mb", type=int, default=64, help="size of the giant header")
    parser.add_argument("--before", metavar="REF", help="also measure the service at this ref")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = bake(Path(tmp))
        timed("make install && make repro", project)
        rows = golden_rows(project)
        venv = project / ".venv" / "bin"
        ours = Server(
            "ours (FastAPI + ONNX Runtime)",
            [str(venv / "customer-churn"), "serve", "--port", "{port}"],
            {"SERVE_MODEL_DIR": "models/serving", "SERVE_WORKERS": str(args.workers)},
            "/ready",
            "/health",
            "/predict",
            None,
        )
        mlflow = Server(
            "mlflow models serve",
            [
                *(str(venv / "mlflow"), "models", "serve"),
                *("-m", "models:/customer-churn@challenger", "--env-manager", "local"),
                *("--workers", str(args.workers), "--port", "{port}", "--host", "127.0.0.1"),
            ],
            {"MLFLOW_TRACKING_URI": "sqlite:///mlflow.db"},
            "/ping",
            "/ping",
            "/invocations",
            "dataframe_records",
        )
        servers = [ours, mlflow]
        if args.before:
            # The ref's own serve package, server.py included (its workers and sockets), run
            # by its command line (`python -m customer_churn serve`), or by server.py's own
            # main on a ref from before it.
            source = service_before(args.before, Path(tmp))
            entry = "" if (source / "customer_churn" / "cli.py").is_file() else ".serve.server"
            serve = ["serve"] if not entry else []
            before = Server(
                f"ours at {args.before}",
                [str(venv / "python"), "-m", f"customer_churn{entry}", *serve, "--port", "{port}"],
                {**ours.env, "PYTHONPATH": str(source)},
                *("/ready", "/health", "/predict", None),
            )
            servers.insert(1, before)
        measured = measure(servers, project, rows, args)

    report(measured, ours.name, mlflow.name, args)


def report(
    measured: dict[str, dict[str, float]], ours: str, peer: str, args: argparse.Namespace
) -> None:
    """Print each figure of every server, ours against MLflow's, with the goals."""
    names = list(measured)
    labels = ["ours", *(["before"] if len(names) == 3 else []), "mlflow"]
    header = "".join(f"{label:>10}" for label in labels)
    print(f"\n{'':<24}{header}{'ours/mlflow':>13}  goal")
    for key in measured[ours]:
        values = [measured[name][key] for name in names]
        mine, theirs = measured[ours][key], measured[peer][key]
        ratio = mine / theirs if theirs else float("nan")
        print(
            f"{key:<24}"
            + "".join(f"{value:>10.2f}" for value in values)
            + f"{ratio:>13.2f}  {verdict(key, measured[ours], ratio)}"
        )
    load_average = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"\n{args.workers} workers each; cores: {machine_cores()}; load average: {load_average};"
        f" goals whose figure had other work holding over {BUSY_CORES} cores are not judged"
        "\nload generator: one asyncio loop, raw keep-alive connections, in this process;"
        " liveness probes: a process of their own;"
        f" oversized bodies: 4 x {args.oversized_mb} MB"
        + (f"\nbefore: the service of {args.before} on the same project" if args.before else "")
    )


if __name__ == "__main__":
    main()
