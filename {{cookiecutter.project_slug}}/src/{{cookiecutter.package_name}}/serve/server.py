"""Run the service as `make serve` and the image do (`python -m <package>.serve.server`).

What this adds to plain uvicorn:
- worker processes, one per core the process is given (SERVE_WORKERS overrides), with
  Prometheus metrics summed across them; each listens on its own socket (SO_REUSEPORT), so
  the kernel spreads connections evenly: on one shared socket the first worker to wake
  accepts a whole burst (of 8 keep-alive clients, 7 landed on one worker and the second
  core idled);
- a deadline for receiving a whole request, headers and body (SERVE_REQUEST_TIMEOUT):
  uvicorn itself never times out a client that connects and stays silent, or sends its
  headers or body a byte at a time, so a few such clients could hold every connection;
- the keep-alive timeout for idle connections (SERVE_KEEP_ALIVE_TIMEOUT).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from {{ cookiecutter.package_name }}.serve.settings import (
    REQUEST_TIMEOUT_STATE,
    ServeSettings,
    SettingsError,
    check_writable,
)

APP = "{{ cookiecutter.package_name }}.serve.app:app"
BACKLOG = 2048  # uvicorn's default: connections the kernel queues for a busy worker
STARTUP_SECONDS = 30  # a worker dying sooner failed to start: restarting it would loop
# The app's logger (JSON lines, set up by the app); importing it from there would load the
# whole service into the supervising process, which only spawns the workers.
LOG = logging.getLogger("{{ cookiecutter.package_name }}.serve")


class DeadlineHttpProtocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol, with a deadline on receiving each request.

    The clock starts when the connection opens and again after each response; if the
    request has not fully arrived when it runs out, the connection is closed. A request
    that has arrived is never cut off, however long the answer takes.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the clock for the first request on this connection."""
        super().connection_made(transport)
        self._start_clock()

    def on_response_complete(self) -> None:
        """Start the clock for the next request on this connection."""
        super().on_response_complete()
        self._start_clock()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the clock: no request to wait for."""
        self._stop_clock()
        super().connection_lost(exc)

    @property
    def request_timeout(self) -> float:
        """SERVE_REQUEST_TIMEOUT as the worker's app read it (uvicorn hands its lifespan state)."""
        timeout: float = self.app_state[REQUEST_TIMEOUT_STATE]
        return timeout

    def _start_clock(self) -> None:
        self._stop_clock()
        if not self.transport.is_closing():
            self._deadline = self.loop.call_later(self.request_timeout, self._expire)

    def _stop_clock(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete and not cycle.more_body:
            return  # the whole request is in; the app is answering it
        if not self.transport.is_closing():
            client = "%s:%d" % self.client if self.client else "unknown"  # noqa: UP031
            fields = {"client": client, "timeout_s": self.request_timeout}
            LOG.warning("no whole request in time; connection closed", extra={"fields": fields})
            self.transport.close()


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


def listening_socket(host: str, port: int, *, share: bool = True) -> socket.socket:
    """A listening TCP socket on host:port; `share` joins the workers' SO_REUSEPORT group."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if share:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
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


def run_worker(host: str, port: int, keep_alive_timeout: int) -> None:
    """One worker process: uvicorn on its own socket of the group."""
    config = uvicorn.Config(
        APP,
        http=DeadlineHttpProtocol,
        timeout_keep_alive=keep_alive_timeout,
        access_log=False,  # the app logs each request as one JSON line
    )
    uvicorn.Server(config).run(sockets=[listening_socket(host, port)])


def supervise(workers: int, host: str, port: int, keep_alive_timeout: int) -> None:
    """Run `workers` worker processes until SIGTERM or SIGINT, then stop them gracefully.

    A worker that dies is replaced; one that dies while starting stops the service.
    uvicorn finishes the requests in flight before a worker exits.
    """
    claim(host, port)
    spawn = multiprocessing.get_context("spawn")
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())

    def start() -> tuple[multiprocessing.context.SpawnProcess, float]:
        worker = spawn.Process(target=run_worker, args=(host, port, keep_alive_timeout))
        worker.start()
        return worker, time.monotonic()

    running = [start() for _ in range(workers)]
    try:
        while not stopping.wait(0.5):
            for index, (worker, started) in enumerate(running):
                if worker.is_alive():
                    continue
                if time.monotonic() - started < STARTUP_SECONDS:
                    raise SystemExit(f"serve: a worker failed to start (exit {worker.exitcode})")
                LOG.warning("worker %s exited (%s); starting another", worker.pid, worker.exitcode)
                running[index] = start()
    finally:
        for worker, _ in running:
            worker.terminate()
        for worker, _ in running:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()


def main(argv: list[str] | None = None) -> None:
    """Serve with uvicorn; wrong SERVE_* settings exit 2 before any worker starts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    args = parser.parse_args(argv)
    try:
        settings = ServeSettings.from_env()
        if settings.prediction_log:
            check_writable(settings.prediction_log)
    except SettingsError as error:
        parser.exit(2, f"serve: {error}\n")
    if settings.workers == 1:
        claim(args.host, args.port)
        run_worker(args.host, args.port, settings.keep_alive_timeout)
        return
    with metrics_across(settings.workers):
        supervise(settings.workers, args.host, args.port, settings.keep_alive_timeout)


if __name__ == "__main__":
    main()
