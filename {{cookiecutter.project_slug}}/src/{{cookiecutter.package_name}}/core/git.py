"""The few git questions the pipeline asks: which commit, and what a file says on a ref."""

from __future__ import annotations

import subprocess
from pathlib import Path


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=False)


def has_commit(ref: str) -> bool:
    """Whether `ref` names a commit here; False without git."""
    try:
        return _git("rev-parse", "--verify", "--quiet", ref + "^{commit}").returncode == 0
    except OSError:  # git is not installed
        return False


UNCOMMITTED = "uncommitted"  # no commit yet (the README's first `make repro` comes before it)
UNCOMMITTED_NOTE = (
    "built from files not (all) committed to git: the lineage's hashes of the data, params "
    "and contract identify its inputs; a pipeline run on a clean checkout (CI) records the commit"
)


def commit() -> str:
    """The checked-out commit, marked `-dirty` when tracked files have changed.

    UNCOMMITTED in a repository without a commit, "unknown" without git.
    """
    if not has_commit("HEAD"):
        return UNCOMMITTED if _inside_repository() else "unknown"
    head = _git("rev-parse", "HEAD").stdout.strip()
    dirty = _git("status", "--porcelain", "--untracked-files=no").stdout.strip()
    return f"{head}-dirty" if dirty else head


def commit_note(recorded: str) -> str | None:
    """What a recorded commit does not say: None for a clean commit."""
    clean = recorded not in {UNCOMMITTED, "unknown"} and not recorded.endswith("-dirty")
    return None if clean else UNCOMMITTED_NOTE


def _inside_repository() -> bool:
    try:
        return _git("rev-parse", "--is-inside-work-tree").stdout.strip() == "true"
    except OSError:  # git is not installed
        return False


def show(ref: str, path: Path) -> str | None:
    """The file at `path` (relative to the working directory) as committed on `ref`."""
    result = _git("show", f"{ref}:./{Path(path).as_posix()}")
    return result.stdout if result.returncode == 0 else None


def describe() -> str:
    """The nearest tag plus commits since (`v1.2.0-3-gabc1234`), else the short commit."""
    if not has_commit("HEAD"):
        return "unreleased"
    result = _git("describe", "--tags", "--always", "--dirty")
    return result.stdout.strip() or "unreleased"


def head() -> str | None:
    """The checked-out commit's full sha; None before the first commit or without git."""
    if not has_commit("HEAD"):
        return None
    return _git("rev-parse", "HEAD").stdout.strip()


def tags(pattern: str = "*") -> list[str]:
    """The repository's tags matching the glob `pattern` (a clone needs them fetched)."""
    return _git("tag", "--list", pattern).stdout.split()


def exact_tag() -> str | None:
    """The tag on HEAD itself, if any (a release job's checkout of its tag)."""
    found = _git("describe", "--tags", "--exact-match").stdout.strip()
    return found or None


def is_ancestor(older: str, newer: str) -> bool:
    """Whether commit `older` is in the history of `newer`; False if either is unknown here."""
    return _git("merge-base", "--is-ancestor", older, newer).returncode == 0
