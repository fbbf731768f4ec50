"""Optional log of what the service scored, as JSON lines the drift monitor can read.

Off unless SERVE_PREDICTION_LOG names a file. Each sampled row becomes one line: the
record's id (when the contract has one and it was sent), the contract's features as
received, the prediction, the model version, the variant (the router's X-Variant header,
else the model version: what the impact report compares; `shadow` on a mirrored copy),
the request's time in the app (`latency_ms`) and the time. A /predict the app failed to
answer (a 5xx) is one line with `error` and no features, so the impact report counts errors
per variant (the drift monitor skips such lines). Rows of older logs, without the newer
keys, still read. Sampling is per row (SERVE_PREDICTION_LOG_SAMPLE, a share between 0 and
1), so a batch request is represented in proportion, not all or nothing.

Nothing is written on the request path: a request samples its rows and hands them to a
bounded queue; a thread writes them. When the queue is full (the disk is slower than the
traffic) rows are dropped and counted, never waited for. The file is bounded: once it would
pass SERVE_PREDICTION_LOG_MAX_BYTES it becomes `<name>.1.jsonl` (older ones shift to .2, ...
up to SERVE_PREDICTION_LOG_BACKUPS; the oldest is deleted). Worker processes share the file
under a lock, so lines stay whole and rotations do not collide.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import queue
import random
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prometheus_client import Counter

from {{ cookiecutter.package_name }}.core.contract import ID
from {{ cookiecutter.package_name }}.core.task import Predictions

LOG = logging.getLogger("{{ cookiecutter.package_name }}.serve")
WRITTEN = Counter("prediction_log_rows_total", "Rows written to the prediction log")
DROPPED = Counter(
    "prediction_log_dropped_rows_total", "Sampled rows not logged: queue full or write failed"
)
PENDING_REQUESTS = 64  # requests waiting for the writer before rows are dropped


@dataclass(frozen=True)
class Served:
    """What every line of one request shares: model, variant, and when and how fast."""

    model_version: str
    variant: str | None  # the router's; None: the model version stands for it
    started: float  # time.perf_counter() when the request reached the app
    shadow: bool = False  # a mirrored copy (X-Shadow: 1): its answer reached no customer

    def entry(self) -> dict[str, Any]:
        """The shared keys of a log line (the time taken is measured now)."""
        entry = {
            "model_version": self.model_version,
            "variant": self.variant or self.model_version,
            "latency_ms": round((time.perf_counter() - self.started) * 1000, 3),
            "logged_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }
        return {**entry, "shadow": True} if self.shadow else entry


class RotatingFile:
    """Appends text to `path`; rotates it past `max_bytes`, keeping `backups` older files."""

    def __init__(self, path: Path, max_bytes: int, backups: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        self._lock = path.with_name(path.name + ".lock").open("a")

    def backup(self, index: int) -> Path:
        """The `index`-th older file: log.1.jsonl is the newest backup of log.jsonl."""
        return self.path.with_name(f"{self.path.stem}.{index}{self.path.suffix}")

    def append(self, text: str) -> None:
        """Append under a file lock (all workers write here); rotate first if it would overflow."""
        data = text.encode("utf-8")
        fcntl.flock(self._lock, fcntl.LOCK_EX)  # other workers append to the same file
        try:
            size = self.path.stat().st_size if self.path.exists() else 0
            if size and size + len(data) > self.max_bytes:
                self._rotate()
            with self.path.open("ab") as log:
                log.write(data)
        finally:
            fcntl.flock(self._lock, fcntl.LOCK_UN)

    def _rotate(self) -> None:
        self.backup(self.backups).unlink(missing_ok=True)
        for index in range(self.backups - 1, 0, -1):
            if self.backup(index).exists():
                self.backup(index).rename(self.backup(index + 1))
        self.path.rename(self.backup(1))

    def close(self) -> None:
        """Release the lock file."""
        self._lock.close()


class PredictionLog:
    """Samples scored rows on the request path; writes them to a rotating file off it."""

    def __init__(self, path: Path, sample: float, max_bytes: int, backups: int) -> None:
        self.sample = sample
        self._file = RotatingFile(path, max_bytes, backups)
        self._random = random.Random()
        self._pending: queue.Queue[list[dict[str, Any]] | None] = queue.Queue(PENDING_REQUESTS)
        self._writer = threading.Thread(target=self._write, name="prediction-log", daemon=True)
        self._writer.start()

    def record(
        self,
        columns: Mapping[str, Sequence[Any]],
        result: Predictions,
        served: Served,
        ids: Sequence[str | None] | None = None,
    ) -> int:
        """Queue the sampled rows of one request; return how many were queued."""
        rows = len(result.values)
        chosen = [row for row in range(rows) if self._random.random() < self.sample]
        if not chosen:
            return 0
        about = served.entry()
        answers = result.records()
        entries = []
        for row in chosen:
            entry: dict[str, Any] = {ID.name: ids[row]} if ID and ids is not None else {}
            entry.update({name: values[row] for name, values in columns.items()})
            entry.update(answers[row])
            entry.update(about)
            entries.append(entry)
        return self._queue(entries)

    def record_failure(self, served: Served, error: BaseException) -> int:
        """Queue one line for a request the app failed to answer (sampled as a row is)."""
        if self._random.random() >= self.sample:
            return 0
        return self._queue([{"error": type(error).__name__, **served.entry()}])

    def _queue(self, entries: list[dict[str, Any]]) -> int:
        try:
            self._pending.put_nowait(entries)
        except queue.Full:
            DROPPED.inc(len(entries))
            return 0
        return len(entries)

    def close(self) -> None:
        """Write what is queued, then stop the writer."""
        with contextlib.suppress(queue.Full):
            self._pending.put(None, timeout=30)
        self._writer.join(timeout=30)
        self._file.close()

    def _write(self) -> None:
        while (entries := self._pending.get()) is not None:
            try:
                self._file.append("".join(json.dumps(entry) + "\n" for entry in entries))
            except Exception as error:  # a full disk must not end the writer
                DROPPED.inc(len(entries))
                LOG.error("prediction log not written: %s", error)
            else:
                WRITTEN.inc(len(entries))
