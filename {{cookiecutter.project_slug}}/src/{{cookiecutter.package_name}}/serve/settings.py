"""Service settings from environment variables, checked at start-up by name."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


class SettingsError(ValueError):
    """An environment variable has a value the service cannot use."""


def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"{name}={raw!r}: use a whole number of at least 1")
    return int(raw)


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
    max_batch_rows: int
    prediction_log: Path | None = None  # JSON-lines file of scored rows; None: no logging
    prediction_log_sample: float = 1.0  # share of rows logged

    @classmethod
    def from_env(cls) -> ServeSettings:
        log = os.environ.get("SERVE_PREDICTION_LOG", "")
        return cls(
            model_dir=Path(os.environ.get("SERVE_MODEL_DIR", "models/serving")),
            max_batch_rows=_positive_int("SERVE_MAX_BATCH_ROWS", 1000),
            prediction_log=Path(log) if log else None,
            prediction_log_sample=_share("SERVE_PREDICTION_LOG_SAMPLE", 1.0),
        )
