"""The commit a model records: a sha when it is built from committed files, else a note why not."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.core import git


def test_a_model_built_before_the_first_commit_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    subprocess.run(["git", "init", "--quiet"], check=True)
    (tmp_path / "params.yaml").write_text("seed: 1\n")

    before = git.commit()
    subprocess.run(["git", "add", "params.yaml"], check=True)
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", *identity, "commit", "--quiet", "-m", "first"], check=True)
    after = git.commit()
    (tmp_path / "params.yaml").write_text("seed: 2\n")
    dirty = git.commit()

    assert before == git.UNCOMMITTED
    assert git.commit_note(before) == git.UNCOMMITTED_NOTE
    assert len(after) == 40
    assert git.commit_note(after) is None
    assert dirty == f"{after}-dirty"
    assert git.commit_note(dirty) == git.UNCOMMITTED_NOTE
