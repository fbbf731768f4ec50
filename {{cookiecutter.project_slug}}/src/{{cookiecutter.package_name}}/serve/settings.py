"""Service settings from environment variables, checked at start-up by name.

Every variable, its default and what it guards is listed in the README (Serving).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


class SettingsError(ValueError):
    """An environment variable has a value the service cannot use."""


def available_cores(cpu_max: Path = CGROUP_CPU_MAX) -> int:
    """The CPUs this process may use: its affinity mask, capped by a cgroup v2 CPU quota.

    A container started with `--cpus 2` (or a Kubernetes CPU limit) sees every core of the
    host in os.cpu_count(); the quota in cpu.max ("200000 100000") is what it is given.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = cores or 1
    try:
        quota, period = cpu_max.read_text().split()
        if quota != "max":
            cores = min(cores, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass  # no cgroup v2 quota: the affinity mask is the limit
    return cores


def check_writable(log: Path) -> None:
    """Fail at start-up, in one line, when the prediction log cannot be written where asked."""
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.with_name(log.name + ".lock").open("a"):
            pass
    except OSError as error:
        raise SettingsError(
            f"SERVE_PREDICTION_LOG={log}: cannot write there ({error.strerror}); "
            "name a file in a folder the service user can write"
        ) from None


def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"{name}={raw!r}: use a whole number of at least 1")
    return int(raw)


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value < math.inf:
        raise SettingsError(f"{name}={raw!r}: use a number of seconds above 0, e.g. 10")
    return value


def _share(name: str, default: float) -> float:
    raw = os.environ.get(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise SettingsError(f"{name}={raw!r}: use a share between 0 and 1, e.g. 0.1 for 10%")
    return value


@dataclass(frozen=True)
class ServeSettings:
    model_dir: Path
    max_batch_rows: int = 1000  # records in one request; more is a 413
    max_body_bytes: int = 1_048_576  # request body; more is a 413 before anything is parsed
    prediction_log: Path | None = None  # JSON-lines file of scored rows; None: no logging
    prediction_log_sample: float = 0.1  # share of rows logged
    prediction_log_max_bytes: int = 104_857_600  # then the file is rotated
    prediction_log_backups: int = 3  # rotated files kept
    workers: int = field(default_factory=available_cores)  # uvicorn worker processes
    request_timeout: float = 10.0  # seconds to receive a whole request (headers and body)
    keep_alive_timeout: int = 5  # seconds an idle connection stays open

    @classmethod
    def from_env(cls) -> ServeSettings:
        log = os.environ.get("SERVE_PREDICTION_LOG", "")
        defaults = cls(Path())
        return cls(
            model_dir=Path(os.environ.get("SERVE_MODEL_DIR", "models/serving")),
            max_batch_rows=_positive_int("SERVE_MAX_BATCH_ROWS", defaults.max_batch_rows),
            max_body_bytes=_positive_int("SERVE_MAX_BODY_BYTES", defaults.max_body_bytes),
            prediction_log=Path(log) if log else None,
            prediction_log_sample=_share(
                "SERVE_PREDICTION_LOG_SAMPLE", defaults.prediction_log_sample
            ),
            prediction_log_max_bytes=_positive_int(
                "SERVE_PREDICTION_LOG_MAX_BYTES", defaults.prediction_log_max_bytes
            ),
            prediction_log_backups=_positive_int(
                "SERVE_PREDICTION_LOG_BACKUPS", defaults.prediction_log_backups
            ),
            workers=_positive_int("SERVE_WORKERS", defaults.workers),
            request_timeout=_seconds("SERVE_REQUEST_TIMEOUT", defaults.request_timeout),
            keep_alive_timeout=_positive_int(
                "SERVE_KEEP_ALIVE_TIMEOUT", defaults.keep_alive_timeout
            ),
        )
