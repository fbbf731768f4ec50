"""The template's own code (tests, hooks, benchmarks) is held to the generated package's bar.

The same ruff rules as the generated project and mypy --strict, both configured in the
template's pyproject.toml; a planted slip shows each check is in force for tests/.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import TEMPLATE

# One worker runs these one after the other: they share the template's mypy cache.
pytestmark = pytest.mark.xdist_group("template-code")
FOLDERS = ("tests", "hooks", "benchmarks")


def check(
    *command: str, cwd: Path = TEMPLATE, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    "command", [("ruff", "check", "."), ("ruff", "format", "--check", "."), ("mypy",)], ids=" ".join
)
def test_the_template_code_passes(command: tuple[str, ...]) -> None:
    result = check(*command)

    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_holds_tests_to_the_generated_projects_rules() -> None:
    planted = "import subprocess\n\nsubprocess.run(['true'])\n"  # no check=: PLW1510

    result = check("ruff", "check", "--stdin-filename", "tests/planted.py", "-", stdin=planted)

    assert result.returncode == 1
    assert "PLW1510" in result.stdout


def test_mypy_checks_tests_hooks_and_benchmarks_strictly(tmp_path: Path) -> None:
    shutil.copy(TEMPLATE / "pyproject.toml", tmp_path)
    for folder in FOLDERS:
        (tmp_path / folder).mkdir()
        (tmp_path / folder / f"planted_{folder}.py").write_text("def untyped(x):\n    return x\n")

    result = check("mypy", cwd=tmp_path)

    assert result.returncode == 1
    for folder in FOLDERS:
        assert f"{folder}/planted_{folder}.py:1: error: Function is missing" in result.stdout
