"""What a command hands back to GitHub Actions: step outputs, the job summary, the run's address.

Outputs and the summary are files the runner names in GITHUB_OUTPUT and GITHUB_STEP_SUMMARY;
outside Actions those are unset and nothing is written, so the same command runs on a laptop.
"""

from __future__ import annotations

import os
from pathlib import Path


def append(variable: str, text: str) -> None:
    """Append `text` to the file Actions names in `variable` (nothing when it is unset)."""
    if os.environ.get(variable):
        with Path(os.environ[variable]).open("a", encoding="utf-8") as out:
            out.write(text)


def run_url(repository: str) -> str | None:
    """This workflow run's address (GITHUB_SERVER_URL, GITHUB_RUN_ID); None outside a run."""
    run = os.environ.get("GITHUB_RUN_ID")
    if not run:
        return None
    server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
    return f"{server}/{repository}/actions/runs/{run}"
