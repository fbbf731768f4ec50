"""Run the service as `make serve` and the image do (the command line's `serve`).

What this adds to plain uvicorn:
- worker processes, one per core the process is given (SERVE_WORKERS overrides), with
  Prometheus metrics summed across them; each listens on its own socket (SO_REUSEPORT), so
  the kernel spreads connections evenly: on one shared socket the first worker to wake
  accepts a whole burst (of 8 keep-alive clients, 7 landed on one worker and the second
  core idled);
- a supervisor that replaces a worker that dies (killed, out of memory), with a growing
  pause when replacements keep failing, and stops only when no worker can start at all;
- uvicorn's HTTP protocol with a request deadline and header limits (protocol.py);
- the keep-alive timeout for idle connections (SERVE_KEEP_ALIVE_TIMEOUT).
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import multiprocessing.synchronize
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from {{ cookiecutter.package_name }}.serve.logs import LOG, configure_logging
from {{ cookiecutter.package_name }}.serve.settings import (
    ServeSettings,
    SettingsError,
    check_writable,
)

log = logging.getLogger(__name__)

APP = "{{ cookiecutter.package_name }}.serve.app:app"
# The workers' HTTP protocol, named for uvicorn to import: the supervisor never needs it.
PROTOCOL = "{{ cookiecutter.package_name }}.serve.protocol:DeadlineHttpProtocol"
BACKLOG = 2048  # uvicorn's default: connections the kernel queues for a busy worker
STARTUP_FAILED = 3  # a worker's exit code when uvicorn did not start (uvicorn's own)
START_ATTEMPTS = 3  # starts failing in a row, with no worker serving: the service stops
FIRST_PAUSE, LONGEST_PAUSE = 0.5, 30.0  # seconds before replacing a worker after a failure
STEADY_SECONDS = 10.0  # a worker serving this long resets its slot's pause


class WithoutParserWarning(logging.Filter):
    """Drop uvicorn's prose line for a parser error: protocol.py logs it as JSON."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every other line."""
        return record.getMessage() != "Invalid HTTP request received."


@contextmanager
def metrics_across(workers: int) -> Iterator[None]:
    """With several workers, each writes its metrics to a shared folder /metrics sums up."""
    if workers == 1:
        yield
        return
    folder = tempfile.mkdtemp(prefix="prometheus-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    try:
        yield
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def listening_socket(
    host: str, port: int, *, share: bool = True, listen: bool = True
) -> socket.socket:
    """A TCP socket bound to host:port; `share` lets the workers' sockets share the port.

    A worker's socket joins the group of those the kernel hands connections to only when it
    listens: without `listen`, uvicorn makes it listen once the app has started, so no
    connection waits on a worker that is still starting, or dies starting.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if share:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
        if listen:
            sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


def claim(host: str, port: int) -> None:
    """Exit unless host:port is free, before any worker joins the port-sharing group.

    Otherwise a second `make serve` would silently split the traffic with the first.
    """
    try:
        listening_socket(host, port, share=False).close()
    except OSError as error:
        raise SystemExit(f"serve: cannot listen on {host}:{port}: {error.strerror}") from None


class WorkerServer(uvicorn.Server):
    """uvicorn's server, telling the supervisor once it serves (the app's start-up is done)."""

    def __init__(self, config: uvicorn.Config, serving: multiprocessing.synchronize.Event) -> None:
        super().__init__(config)
        self.serving = serving

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start as uvicorn does; then say so, unless the start failed."""
        await super().startup(sockets)
        if self.started:
            self.serving.set()


def run_worker(
    host: str, port: int, keep_alive_timeout: int, serving: multiprocessing.synchronize.Event
) -> None:
    """One worker process: uvicorn on its own socket of the group."""
    logging.getLogger("uvicorn.error").addFilter(WithoutParserWarning())
    config = uvicorn.Config(
        APP,
        http=PROTOCOL,
        timeout_keep_alive=keep_alive_timeout,
        backlog=BACKLOG,
        access_log=False,  # the app logs each request as one JSON line
        server_header=False,  # no banner naming the server and so its known flaws
    )
    server = WorkerServer(config, serving)
    server.run(sockets=[listening_socket(host, port, listen=False)])
    if not server.started:
        sys.exit(STARTUP_FAILED)  # as uvicorn's command line does; its log says why


Worker = Callable[[str, int, int, multiprocessing.synchronize.Event], None]


@dataclass
class Slot:
    """One worker's place: its current process and how its recent starts went."""

    process: multiprocessing.process.BaseProcess | None = None
    serving: multiprocessing.synchronize.Event | None = None
    began: float = 0.0  # when the process was started
    failures: int = 0  # exits in a row soon after starting
    next_start: float = 0.0  # no replacement before this (monotonic time)

    def pause(self) -> float:
        """Seconds to wait before the next start: none at first, then doubling."""
        if self.failures == 0:
            return 0.0
        return min(LONGEST_PAUSE, FIRST_PAUSE * 2.0 ** (self.failures - 1))


class Supervisor:
    """Keeps `workers` worker processes running; see supervise()."""

    def __init__(self, workers: int, args: tuple[str, int, int], target: Worker) -> None:
        self.spawn = multiprocessing.get_context("spawn")
        self.slots = [Slot() for _ in range(workers)]
        self.args = args
        self.target = target
        self.failed_starts = 0  # starts in a row that never served, over all slots

    def start(self, slot: Slot) -> None:
        """A new worker in `slot`; it sets its event once it serves."""
        slot.serving = self.spawn.Event()
        slot.process = self.spawn.Process(target=self.target, args=(*self.args, slot.serving))
        slot.process.start()
        slot.began = time.monotonic()

    def check(self) -> None:
        """Note workers that began serving; replace dead ones; SystemExit if none can start."""
        now = time.monotonic()
        for slot in self.slots:
            process, serving = slot.process, slot.serving
            if process is None or serving is None:
                if now >= slot.next_start:
                    self.start(slot)
                continue
            if process.is_alive():
                if serving.is_set() and now - slot.began > STEADY_SECONDS:
                    slot.failures = 0  # long enough to call the last start a success
                continue
            served = serving.is_set()
            process.join()
            if served:
                self.failed_starts = 0
            else:
                self.failed_starts += 1
            if not served or now - slot.began < STEADY_SECONDS:
                slot.failures += 1
            slot.process = slot.serving = None
            slot.next_start = now + slot.pause()
            fields = {
                "pid": process.pid,
                "exit": process.exitcode,
                "had_served": served,
                "restart_in_s": slot.pause(),
            }
            LOG.warning("worker exited; replacing it", extra={"fields": fields})
            if not self.anyone_serving() and self.failed_starts >= START_ATTEMPTS:
                raise SystemExit(
                    f"serve: no worker could start ({self.failed_starts} attempts in a row, "
                    f"the last exited with code {process.exitcode}); the log above says why"
                )

    def anyone_serving(self) -> bool:
        """Some worker is up and answering."""
        return any(
            slot.process is not None
            and slot.process.is_alive()
            and slot.serving is not None
            and slot.serving.is_set()
            for slot in self.slots
        )

    def stop(self) -> None:
        """Stop every worker gracefully (uvicorn finishes the requests in flight)."""
        running = [slot.process for slot in self.slots if slot.process is not None]
        for process in running:
            process.terminate()
        for process in running:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()


def supervise(
    workers: int, host: str, port: int, keep_alive_timeout: int, target: Worker = run_worker
) -> None:
    """Run `workers` worker processes until SIGTERM or SIGINT, then stop them gracefully.

    A worker that dies after serving a while is replaced at once; when workers keep dying
    soon after starting, the pause before the next one doubles (0.5 s up to 30 s). While any worker
    serves, the service keeps going. It exits only when START_ATTEMPTS starts in a row
    failed with none serving: no worker can start (a broken install, a failing import),
    and the orchestrator should see the failure rather than a port that refuses.
    """
    claim(host, port)
    configure_logging()
    stopping = threading.Event()
    handlers = {
        number: signal.signal(number, lambda *_: stopping.set())
        for number in (signal.SIGTERM, signal.SIGINT)
    }
    supervisor = Supervisor(workers, (host, port, keep_alive_timeout), target)
    try:
        supervisor.check()
        while not stopping.wait(0.2):
            supervisor.check()
    finally:
        supervisor.stop()
        for number, handler in handlers.items():
            signal.signal(number, handler)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Where to listen; the rest are SERVE_* settings."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")


def run(args: argparse.Namespace) -> int:
    """Serve with uvicorn; wrong SERVE_* settings exit 2 before any worker starts."""
    try:
        settings = ServeSettings.from_env()
        if settings.prediction_log:
            check_writable(settings.prediction_log)
    except SettingsError as error:
        log.error(f"serve: {error}")
        return 2
    with metrics_across(settings.workers):
        supervise(settings.workers, args.host, args.port, settings.keep_alive_timeout)
    return 0
