"""Can this CI run use the DVC remote? Says why, and tells the workflow (GITHUB_OUTPUT).

A pull request from a fork gets neither secrets nor an OpenID Connect token from GitHub, so
it cannot read the DVC remote (nor log to a shared MLflow server). It is still tested when
the pipeline can make everything from what git holds (the demo generates its data). When
the base branch tracks data only the remote holds (`*.dvc` files in the base commit's tree,
never the fork's, which the fork controls), or the change adds such files (whose data is in
no remote this run can read), the pipeline cannot run: the gate job is skipped and the
Required check FAILS with this message, which says how a maintainer runs it.

Standard library only (it runs before anything is installed). FORK=true marks a fork's
pull request, BASE_SHA its base commit (checked out as the merge commit's first parent);
outputs: `trusted` (this run gets credentials), `pipeline` (the pipeline can run here) and
`message`.

    FORK=true BASE_SHA=<sha> python3 scripts/remote_access.py
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def git_lines(*args: str) -> list[str]:
    """The words a git command prints (paths, here)."""
    listed = subprocess.run(["git", *args], capture_output=True, text=True, check=True)
    return listed.stdout.split()


def remote_only_data(base: str) -> list[str]:
    """The data only the DVC remote holds: .dvc files in the base commit's tree and added ones.

    Git holds only their pointers; the fork's own listing is never asked.
    """
    in_base = git_lines("ls-tree", "-r", "--name-only", base)
    added = git_lines("diff", "--name-only", "--diff-filter=A", base, "HEAD")
    return sorted({path for path in in_base + added if path.endswith(".dvc")})


NO_CREDENTIALS = "a pull request from a fork gets no credentials for the DVC remote"


def how_a_maintainer_runs_it(number: str) -> str:
    """The commands that test a fork's pull request with this repository's credentials."""
    pr = number or "<number>"
    return (
        f"A maintainer runs it by pushing the pull request's branch to this repository: "
        f"`git fetch origin pull/{pr}/head:fork-pr-{pr} && git push origin fork-pr-{pr}`, "
        f"then opening a pull request from fork-pr-{pr}, whose checks use the remote."
    )


def decide(fork: bool, tracked: list[str], number: str = "") -> tuple[bool, bool, str]:
    """(trusted, pipeline can run, what to tell the reader)."""
    if not fork:
        return True, True, "this run may use the DVC remote."
    if not tracked:
        message = (
            f"{NO_CREDENTIALS}: the pipeline runs from what git holds (no pull, no push) and "
            "MLflow logs to the runner."
        )
        return False, True, message
    message = (
        f"{NO_CREDENTIALS}, which alone holds {', '.join(tracked)}: the pipeline cannot run "
        f"here, so the gate did not run and the Required check fails. "
        f"{how_a_maintainer_runs_it(number)}"
    )
    return False, False, message


def main() -> int:
    """Tell the workflow (GITHUB_OUTPUT) whether the remote and the pipeline can run."""
    fork = os.environ.get("FORK") == "true"
    tracked = remote_only_data(os.environ.get("BASE_SHA") or "HEAD^") if fork else []
    number = os.environ.get("GITHUB_REF", "").removeprefix("refs/pull/").split("/")[0]
    trusted, pipeline, message = decide(fork, tracked, number if number.isdigit() else "")
    if not trusted:
        print(f"::notice title=DVC remote unavailable::{message}")
    print(f"remote-access: {message}")
    outputs = {
        "trusted": str(trusted).lower(),
        "pipeline": str(pipeline).lower(),
        "message": message,
    }
    if os.environ.get("GITHUB_OUTPUT"):
        with Path(os.environ["GITHUB_OUTPUT"]).open("a") as stream:
            stream.writelines(f"{key}={value}\n" for key, value in outputs.items())
    if os.environ.get("GITHUB_STEP_SUMMARY") and not trusted:
        with Path(os.environ["GITHUB_STEP_SUMMARY"]).open("a") as stream:
            stream.write(f"### DVC remote unavailable\n\n{message[0].upper()}{message[1:]}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
