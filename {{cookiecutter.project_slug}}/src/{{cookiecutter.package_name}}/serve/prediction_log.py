"""Optional log of what the service scored, as JSON lines the drift monitor can read.

Off unless SERVE_PREDICTION_LOG names a file. Each sampled row becomes one line: the
contract's features as received, the prediction, the model version and the time. Sampling
is per row (SERVE_PREDICTION_LOG_SAMPLE, a share between 0 and 1), so a batch request is
represented in proportion, not all or nothing.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }}.task import Predictions


class PredictionLog:
    """Appends sampled rows to one file; one write per request keeps lines whole."""

    def __init__(self, path: Path, sample: float) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.sample = sample
        self._random = random.Random()
        self._lock = threading.Lock()

    def record(
        self, columns: Mapping[str, Sequence[Any]], result: Predictions, model_version: str
    ) -> int:
        """Log the sampled rows of one request; return how many were written."""
        rows = len(result.values)
        chosen = [row for row in range(rows) if self._random.random() < self.sample]
        if not chosen:
            return 0
        logged_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        answers = result.records()
        lines = []
        for row in chosen:
            entry = {name: values[row] for name, values in columns.items()}
            entry.update(answers[row])
            entry["model_version"] = model_version
            entry["logged_at"] = logged_at
            lines.append(json.dumps(entry) + "\n")
        with self._lock, self.path.open("a", encoding="utf-8") as log:
            log.write("".join(lines))
        return len(chosen)
