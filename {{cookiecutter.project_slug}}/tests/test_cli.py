"""The command line as users, DVC, make and the image run it: the installed console script."""

from __future__ import annotations

import builtins
import importlib
import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import cli
from {{ cookiecutter.package_name }}.gate import baseline

from .conftest import PROJECT

PACKAGE = "{{ cookiecutter.package_name }}"
SCRIPT = str(Path(sys.executable).with_name("{{ cookiecutter.project_slug }}"))


def command(*args: str, cwd: Path = PROJECT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCRIPT, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def broken_params(tmp_path: Path) -> Path:
    """A folder whose params.yaml has one wrong value: a test share above 1."""
    text = (PROJECT / "params.yaml").read_text()
    wrong, count = re.subn(r"(?m)^(  test_size:) \S+", r"\1 1.5", text)
    assert count == 1, "params.yaml has no split.test_size to break"
    (tmp_path / "params.yaml").write_text(wrong)
    return tmp_path


def test_help_lists_every_command() -> None:
    result = command("--help")

    assert result.returncode == 0, result.stderr
    listed = set(re.findall(r"(?m)^    ([a-z-]+)(?: |$)", result.stdout))
    assert listed == set(cli.available())
    assert set(cli.available()) <= set(cli.COMMANDS)


def test_an_unknown_command_is_a_usage_error() -> None:
    result = command("trian")

    assert result.returncode == 2
    assert "invalid choice: 'trian'" in result.stderr
    assert result.stderr.startswith("usage: {{ cookiecutter.project_slug }}")


def test_a_known_error_is_one_message_naming_the_field_and_its_exit_status(
    broken_params: Path,
) -> None:
    result = command("baseline", cwd=broken_params)

    assert result.returncode == 3  # ParamsError
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("baseline: params.yaml has invalid settings")
    assert "split.test_size" in result.stderr


def test_verbose_adds_the_traceback(broken_params: Path) -> None:
    result = command("--verbose", "baseline", cwd=broken_params)

    assert result.returncode == 3
    assert "Traceback (most recent call last)" in result.stderr
    assert "ParamsError" in result.stderr
    assert result.stderr.index("Traceback") < result.stderr.index("\nbaseline: params.yaml")


def test_verbose_is_taken_after_the_command_too(broken_params: Path) -> None:
    result = command("baseline", "-v", cwd=broken_params)

    assert result.returncode == 3
    assert "Traceback (most recent call last)" in result.stderr


def test_serving_loads_no_training_library() -> None:
    # The serving image has none of them: `serve` must not import them on its way.
    probe = (
        "import sys\n"
        "from {{ cookiecutter.package_name }}.cli import main\n"
        "try:\n"
        "    main(['serve', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted({'pandas', 'sklearn', 'mlflow', 'pandera'} & set(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )

    assert "--port" in result.stdout
    assert result.stdout.rstrip().endswith("[]")


def test_the_readme_documents_every_exit_status() -> None:
    readme = (PROJECT / "README.md").read_text()

    for status in cli.EXIT_STATUSES:
        assert re.search(rf"(?m)^\| {status.code} \| .*`{status.error}`", readme), status
    codes = [status.code for status in cli.EXIT_STATUSES]
    assert len(set(codes)) == len(codes)  # distinct: a script can tell them apart
    assert not {0, 1, 2} & set(codes)  # the commands' own statuses


def test_python_dash_m_runs_the_same_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", PACKAGE, "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert result.returncode == 0
    assert "gate" in result.stdout


def test_a_command_whose_module_is_gone_is_not_offered(tmp_path: Path) -> None:
    # `make import-data` removes the demo's generator: its command leaves the list with it.
    package = tmp_path / PACKAGE
    shutil.copytree(PROJECT / "src" / PACKAGE, package)
    (package / "pipeline" / "sample_data.py").unlink(missing_ok=True)
    probe = f"from {PACKAGE} import cli; print(sorted(cli.available()))"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={"PYTHONPATH": str(tmp_path), "PATH": ""},
    )

    assert "'sample-data'" not in result.stdout
    assert "'train'" in result.stdout


def test_every_exit_status_names_an_error_class_that_exists() -> None:
    # A renamed class would silently lose its status: the boundary looks classes up by name.
    for status in cli.EXIT_STATUSES:
        where = importlib.import_module(f"{PACKAGE}.{status.module}") if status.module else builtins
        kind = getattr(where, status.error, None)
        assert isinstance(kind, type), status
        assert issubclass(kind, Exception), status


def test_an_unexpected_error_keeps_its_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(args: object) -> int:
        raise RuntimeError("a bug, not a known error")

    monkeypatch.setattr(baseline, "run", broken)

    assert cli.main(["baseline"]) == cli.BUG
    errors = capsys.readouterr().err
    assert "Traceback (most recent call last)" in errors
    assert errors.rstrip().endswith("RuntimeError: a bug, not a known error")


@pytest.mark.parametrize("verbose", [False, True])
def test_progress_goes_to_stderr_and_debug_only_when_verbose(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], verbose: bool
) -> None:
    def working(args: object) -> int:
        log = logging.getLogger(baseline.__name__)
        log.debug("baseline: the detail behind it")
        log.info("baseline: reading metrics/golden.json")
        print("wrote metrics/baseline.json")
        return 0

    monkeypatch.setattr(baseline, "run", working)

    for _ in range(2):  # each run sets the handler up again: no line twice
        assert cli.main(["baseline", *(["--verbose"] if verbose else [])]) == 0
    output = capsys.readouterr()
    assert output.out == "wrote metrics/baseline.json\n" * 2  # stdout: only what it produced
    debug = ["baseline: the detail behind it"] if verbose else []
    expected = [*debug, "baseline: reading metrics/golden.json"] * 2
    assert output.err.splitlines() == expected  # plain messages, as before logging
