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


@dataclass(frozen=True)
class ServeSettings:
    model_dir: Path
    max_batch_rows: int

    @classmethod
    def from_env(cls) -> ServeSettings:
        return cls(
            model_dir=Path(os.environ.get("SERVE_MODEL_DIR", "models/serving")),
            max_batch_rows=_positive_int("SERVE_MAX_BATCH_ROWS", 1000),
        )
