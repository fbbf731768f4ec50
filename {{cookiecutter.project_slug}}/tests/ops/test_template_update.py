"""The template update's report: what changed, and what did not merge (template-update.yml)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.ops.template_update import compose, conflicts


def git(*args: str) -> None:
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", *identity, *args], capture_output=True, check=False)


def test_unmerged_paths_and_rejected_hunks_need_a_hand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    git("init", "--quiet", "--initial-branch=main")
    Path("Makefile").write_text("one\n")
    git("add", "Makefile")
    git("commit", "--quiet", "-m", "base")
    git("checkout", "--quiet", "-b", "template")
    Path("Makefile").write_text("template's\n")
    git("commit", "--quiet", "-am", "template")
    git("checkout", "--quiet", "main")
    Path("Makefile").write_text("mine\n")
    git("commit", "--quiet", "-am", "mine")
    git("merge", "--quiet", "template")  # conflicts
    Path("README.md.rej").write_text("@@ a hunk @@\n")
    Path(".venv/lib").mkdir(parents=True)
    Path(".venv/lib/x.rej").write_text("a library's own\n")

    assert conflicts() == ["Makefile", "README.md.rej"]


def test_the_report_names_both_commits_every_change_and_the_conflicts() -> None:
    before, after = "a" * 40, "b" * 40

    clean = compose(before, after, [" M README.md", "?? new.py"], [])
    messy = compose(before, after, ["UU Makefile"], ["Makefile"])

    assert f"from `{'a' * 12}` to `{'b' * 12}`" in clean
    assert "    ?? new.py\n" in clean
    assert clean.endswith("Everything merged cleanly.\n")
    assert "**Needs a hand**" in messy
    assert messy.endswith("    Makefile\n")
    assert "merged cleanly" not in messy
