"""The service's log: one JSON object per line, on stderr.

Its own module so that the supervising process (server.py) logs as the workers do without
importing the app's metrics and web framework.
"""

from __future__ import annotations

import json
import logging

LOG = logging.getLogger("{{ cookiecutter.package_name }}.serve")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, so logs can be searched without parsing prose."""

    def format(self, record: logging.LogRecord) -> str:
        """The message and the record's `fields` as one JSON object."""
        entry = {"level": record.levelname, "logger": record.name, "message": record.getMessage()}
        entry.update(getattr(record, "fields", {}))
        return json.dumps(entry)


def configure_logging() -> None:
    """The service's log: JSON lines on stderr, INFO and above, not passed to the root logger."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    LOG.handlers[:] = [handler]
    LOG.setLevel(logging.INFO)
    LOG.propagate = False
