"""Can this CI run use the DVC remote? Says why, and tells the workflow (GITHUB_OUTPUT).

A pull request from a fork gets neither secrets nor an OpenID Connect token from GitHub, so
it cannot read the DVC remote (nor log to a shared MLflow server). It is still tested when
the pipeline can make everything from what git holds (the demo generates its data); when
data lives only in the remote (files DVC tracks: `*.dvc`), the test job is skipped with this
message rather than failing on data it cannot fetch: a maintainer who pushes the branch to
this repository gets it tested.

Standard library only (it runs before anything is installed). FORK=true marks a fork's
pull request; outputs: `trusted` (this run gets credentials) and `pipeline` (the pipeline
can run here).

    FORK=true python3 scripts/remote_access.py
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def remote_only_data() -> list[str]:
    """The data git points at (.dvc files): only the DVC remote holds it."""
    listed = subprocess.run(
        ["git", "ls-files", "*.dvc"], capture_output=True, text=True, check=True
    )
    return sorted(set(listed.stdout.split()))


NO_CREDENTIALS = "a pull request from a fork gets no credentials for the DVC remote"


def decide(fork: bool, tracked: list[str]) -> tuple[bool, bool, str]:
    """(trusted, pipeline can run, what to tell the reader)."""
    if not fork:
        return True, True, "this run may use the DVC remote and the MLflow server."
    if not tracked:
        message = (
            f"{NO_CREDENTIALS}: the pipeline runs from what git holds (no pull, no push) and "
            "MLflow logs to the runner."
        )
        return False, True, message
    message = (
        f"{NO_CREDENTIALS}, which alone holds {', '.join(tracked)}: the pipeline cannot run "
        "here, so the test job is skipped (not failed). A maintainer can push this branch to "
        "the repository to run every check."
    )
    return False, False, message


def main() -> int:
    """Tell the workflow (GITHUB_OUTPUT) whether the remote and the pipeline can run."""
    trusted, pipeline, message = decide(os.environ.get("FORK") == "true", remote_only_data())
    if not trusted:
        print(f"::notice title=DVC remote unavailable::{message}")
    print(f"remote-access: {message}")
    outputs = {"trusted": str(trusted).lower(), "pipeline": str(pipeline).lower()}
    if os.environ.get("GITHUB_OUTPUT"):
        with Path(os.environ["GITHUB_OUTPUT"]).open("a") as stream:
            stream.writelines(f"{key}={value}\n" for key, value in outputs.items())
    if os.environ.get("GITHUB_STEP_SUMMARY") and not trusted:
        with Path(os.environ["GITHUB_STEP_SUMMARY"]).open("a") as stream:
            stream.write(f"### DVC remote unavailable\n\n{message[0].upper()}{message[1:]}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
