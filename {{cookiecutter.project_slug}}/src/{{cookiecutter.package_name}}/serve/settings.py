"""Service settings from environment variables, checked at start-up by name.

Every variable, its default and what it guards is listed in the README (Serving).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Annotated

from pydantic import Field, PlainValidator, field_validator
from pydantic_settings import SettingsConfigDict

from {{ cookiecutter.package_name }}.core.settings import (
    EnvironmentSettings,
    SettingsError,
)

__all__ = [
    "SETTINGS_STATE",
    "ServeSettings",
    "SettingsError",
    "available_cores",
    "check_writable",
]

CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")
# The key under which the app's lifespan state hands its settings to server.py's protocol
# (the request deadline and the header limit apply before the app sees a request).
SETTINGS_STATE = "serve_settings"


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


def _whole_number(raw: object) -> int:
    text = str(raw)
    if not text.isdigit() or int(text) < 1:
        raise ValueError("use a whole number of at least 1")
    return int(text)


def _seconds(raw: object) -> float:
    try:
        value = float(str(raw))
    except ValueError:
        value = -1.0
    if not 0 < value < math.inf:
        raise ValueError("use a number of seconds above 0, e.g. 10")
    return value


def _share(raw: object) -> float:
    try:
        value = float(str(raw))
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise ValueError("use a share between 0 and 1, e.g. 0.1 for 10%")
    return value


WholeNumber = Annotated[int, PlainValidator(_whole_number)]
Seconds = Annotated[float, PlainValidator(_seconds)]
Share = Annotated[float, PlainValidator(_share)]


class ServeSettings(EnvironmentSettings):
    """SERVE_* variables (README, Serving); `make serve` and the image read them at start-up."""

    model_config = SettingsConfigDict(
        env_prefix="SERVE_", frozen=True, extra="ignore", populate_by_name=True
    )

    model_dir: Path = Path("models/serving")
    max_batch_rows: WholeNumber = 1000  # records in one request; more is a 413
    max_body_bytes: WholeNumber = 1_048_576  # request body; more is a 413 before parsing
    prediction_log: Path | None = None  # JSON-lines file of scored rows; None: no logging
    prediction_log_sample: Share = 0.1  # share of rows logged
    prediction_log_max_bytes: WholeNumber = 104_857_600  # then the file is rotated
    prediction_log_backups: WholeNumber = 3  # rotated files kept
    workers: WholeNumber = Field(default_factory=available_cores)  # uvicorn worker processes
    request_timeout: Seconds = 10.0  # seconds to receive a whole request (headers and body)
    keep_alive_timeout: WholeNumber = 5  # seconds an idle connection stays open
    max_header_bytes: WholeNumber = 32_768  # request line and headers; more is a 431
    # Set by server.py for several workers (prometheus_client's own variable): /metrics then
    # sums every worker's metrics.
    prometheus_multiproc_dir: Path | None = Field(
        default=None, validation_alias="PROMETHEUS_MULTIPROC_DIR"
    )

    @field_validator("prediction_log", "prometheus_multiproc_dir", mode="before")
    @classmethod
    def blank_is_unset(cls, value: object) -> object:
        """An empty variable turns the feature off, as leaving it unset does."""
        return None if value == "" else value
