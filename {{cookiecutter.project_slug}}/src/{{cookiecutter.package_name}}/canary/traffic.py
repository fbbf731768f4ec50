"""Replayed traffic: records of the golden set (or a batch file), one per request, at a rate.

A few client threads, each on its own keep-alive connection, pace their requests so that
together they send `rate` requests a second; each records its answers' status and latency
(the client's p99 is what shadow mirroring must not worsen).
"""

from __future__ import annotations

import http.client
import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }}.core.contract import TARGET

CLIENTS = 4


def request_bodies(path: Path) -> list[bytes]:
    """One JSON body per row of a CSV, Parquet or JSON-lines file, without the target column."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame = pd.read_csv(path)
    elif suffix == ".parquet":
        frame = pd.read_parquet(path)
    elif suffix == ".jsonl":
        frame = pd.read_json(path, lines=True)
    else:
        raise ValueError(f"{path}: replay reads .csv, .parquet or .jsonl files")
    frame = frame.drop(columns=[TARGET.name], errors="ignore")
    if frame.empty:
        raise ValueError(f"{path} has no rows to replay")
    return [row.encode() for row in frame.to_json(orient="records", lines=True).splitlines() if row]


@dataclass
class Replay:
    """Sends the bodies round-robin to `url`/predict until stopped; keeps what it saw."""

    url: str
    bodies: list[bytes]
    rate: float
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, offset: int) -> None:
        """One client: a request every CLIENTS / rate seconds, on one connection."""
        parts = urlsplit(self.url)
        connection = http.client.HTTPConnection(parts.netloc, timeout=10)
        pause = CLIENTS / self.rate
        next_at = time.monotonic() + pause * offset / CLIENTS
        for body in itertools.islice(itertools.cycle(self.bodies), offset, None, CLIENTS):
            if self.stop.is_set():
                break
            time.sleep(max(0.0, next_at - time.monotonic()))
            next_at += pause
            start = time.perf_counter()
            status = self.post(connection, f"{parts.path}/predict", body)
            with self.lock:
                self.latencies.append(time.perf_counter() - start)
                self.statuses[status] = self.statuses.get(status, 0) + 1
        connection.close()

    @staticmethod
    def post(connection: http.client.HTTPConnection, path: str, body: bytes) -> int:
        """POST one body; its status, or 0 for no answer.

        A keep-alive connection the server closed meanwhile (nginx's reload closes idle ones)
        is opened again and the request sent once more, as HTTP clients do.
        """
        for attempt in range(2):
            try:
                connection.request("POST", path, body, {"Content-Type": "application/json"})
                answer = connection.getresponse()
                answer.read()
                return answer.status
            except (OSError, http.client.HTTPException):
                connection.close()  # the next request opens a new connection
                if attempt:
                    break
        return 0

    @contextmanager
    def running(self) -> Iterator[Replay]:
        """The clients sending, until the block ends (then each finishes its request)."""
        threads = [
            threading.Thread(target=self.client, args=(offset,), daemon=True)
            for offset in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        try:
            yield self
        finally:
            self.stop.set()
            for thread in threads:
                thread.join()

    def p99(self) -> float:
        """The client's 99th percentile latency, in seconds."""
        with self.lock:
            return float(np.quantile(self.latencies, 0.99)) if self.latencies else float("nan")
