"""The CI scripts in scripts/, run as their jobs run them: python3, the standard library only.

`remote_access.py` decides whether a run may use the DVC remote (ci.yml's remote job),
`required_checks.py` is the one required check's verdict, and `uv_requirement.py` gives the
image build the uv that uv.lock pins.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import NamedTuple

import pytest

from .conftest import PROJECT


class ScriptRun(NamedTuple):
    status: int
    stdout: str
    stderr: str
    outputs: dict[str, str]  # what it wrote to GITHUB_OUTPUT


def script(name: str, cwd: Path, env: dict[str, str], *args: str) -> ScriptRun:
    """Run scripts/`name` as its job does; its exit status, output and GITHUB_OUTPUT."""
    output = cwd / "github-output"
    output.write_text("")
    result = subprocess.run(
        ["python3", str(PROJECT / "scripts" / name), *args],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "GITHUB_OUTPUT": str(output), **env},
        capture_output=True,
        text=True,
        check=False,
    )
    lines = output.read_text().splitlines()
    outputs = dict(line.split("=", 1) for line in lines)
    return ScriptRun(result.returncode, result.stdout, result.stderr, outputs)


def git(cwd: Path, command: str) -> str:
    identity = "git -c user.name=t -c user.email=t@example.com"
    done = subprocess.run(
        f"{identity} {command}", shell=True, cwd=cwd, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_a_fork_cannot_drop_the_base_branchs_dvc_files_to_run_without_the_remote(
    tmp_path: Path,
) -> None:
    """The fork deletes the base's only .dvc file: the base commit's tree still decides."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "customers.csv.dvc").write_text("outs:\n- path: customers.csv\n")
    git(tmp_path, "init --quiet -b main && git add -A")
    git(tmp_path, "commit --quiet -m base")
    base = git(tmp_path, "rev-parse HEAD")
    git(tmp_path, "rm --quiet data/customers.csv.dvc")
    git(tmp_path, "commit --quiet -m 'No DVC here'")

    forked = script("remote_access.py", tmp_path, {"FORK": "true", "BASE_SHA": base})
    same = script("remote_access.py", tmp_path, {"FORK": "false", "BASE_SHA": base})

    assert (forked.outputs["trusted"], forked.outputs["pipeline"]) == ("false", "false")
    assert "data/customers.csv.dvc" in forked.outputs["message"]
    assert (same.outputs["trusted"], same.outputs["pipeline"]) == ("true", "true")


def needs(**results: str) -> str:
    """ci.yml's `toJSON(needs)`: every job succeeded (publish and promote skipped) but these."""
    every = dict.fromkeys(
        ("override", "remote", "lint", "test", "gate", "gate-comment", "image"), "success"
    )
    every |= {"publish": "skipped", "promote": "skipped"}
    return json.dumps(
        {job: {"result": result, "outputs": {}} for job, result in (every | results).items()}
    )


@pytest.mark.parametrize(("event", "results", "fails"), [
    ("pull_request", {}, []),
    ("pull_request", {"gate-comment": "skipped"}, []),  # a fork's or Dependabot's
    ("pull_request", {"gate": "skipped", "image": "skipped"}, ["gate", "image"]),
    ("pull_request", {"override": "failure", "image": "skipped"}, ["override", "image"]),
    ("merge_group", {"lint": "cancelled"}, ["lint"]),
    ("push", {}, ["publish", "promote"]),  # main that shipped nothing is red
    ("push", {"publish": "success", "promote": "success"}, []),
])  # fmt: skip
def test_the_required_check_fails_unless_every_job_ended_as_it_must(
    tmp_path: Path, event: str, results: dict[str, str], fails: list[str]
) -> None:
    outcome = script("required_checks.py", tmp_path, {"NEEDS": needs(**results), "EVENT": event})

    assert outcome.status == (1 if fails else 0)
    reported = re.findall(r"^::error title=Required::([\w-]+):", outcome.stdout, re.M)
    assert reported == fails


def test_the_image_gets_the_uv_the_lock_pins_with_every_hash(tmp_path: Path) -> None:
    pins = re.findall(r'"uv==([\d.]+)"', (PROJECT / "pyproject.toml").read_text())
    lock = PROJECT / "uv.lock"

    found = script("uv_requirement.py", tmp_path, {}, str(lock))

    assert len(pins) == 1
    assert found.stdout.startswith(f"uv=={pins[0]} --hash=sha256:")


def test_uv_requirement_names_the_fix_when_the_lock_has_no_uv(tmp_path: Path) -> None:
    lock = tmp_path / "uv.lock"
    lock.write_text('version = 1\n[[package]]\nname = "numpy"\nversion = "2.1.0"\n')

    result = script("uv_requirement.py", tmp_path, {}, str(lock))

    assert result.status != 0
    assert "uv add --group uv uv==" in result.stderr
