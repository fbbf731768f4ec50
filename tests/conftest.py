"""Helpers to bake the template and run what it generates."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
# Projects asking for a Python that is not installed would make uv try to download one; the
# test machines have no such access, so let uv fail at once (the post-gen hook then says so).
os.environ.setdefault("UV_PYTHON_DOWNLOADS", "never")


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook
def pytest_xdist_node_collection_finished(node: object, ids: list[str]) -> None:
    """Stop at once when pytest-xdist ignores `xdist_group`.

    A grouped test's id ends in `@group`; without it each group's module fixture would be built on
    every worker, silently doubling the suite's slowest setups. Runs in the controller, once per
    worker.
    """
    config = node.config  # type: ignore[attr-defined]
    if config.getoption("dist") != "loadgroup" or any("@" in nodeid for nodeid in ids):
        return
    files = {Path(config.rootpath, nodeid.split("::")[0]) for nodeid in ids}
    if any("xdist_group" in path.read_text() for path in files if path.is_file()):
        pytest.exit(
            "--dist=loadgroup: no test carries its xdist_group, so this pytest and "
            "pytest-xdist do not work together; pin pytest to a version pytest-xdist "
            "supports (pyproject.toml)",
            returncode=pytest.ExitCode.USAGE_ERROR,
        )


# Longest first (pytest-xdist hands out tests and groups in collection order, with
# --no-loadscope-reorder): a journey started last would run alone for minutes at the end.
# A group starts where its first test is. Minutes each on 2 cores (3 workers): the
# pull-request workflow chain 7, an own table or the regression journey 4-6, the TRAINED
# group (trained_project, the image, drift and the modules reading that project) 5-6, the
# MLflow server and S3 module 5, the default journey 4, each of the others 1-3.
LONGEST_FIRST = (
    "test_workflow_ci",
    "test_own_data",
    "test_project_e2e",
    "test_container",  # the TRAINED group
    "test_remote_backends",
    "test_workflow_scheduled",
    "test_workflow_remote",
    "test_drift_cli",
    "test_template_update",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow modules first, in LONGEST_FIRST's order; each module's tests keep theirs."""
    rank = {name: number for number, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.stem, len(rank)))


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`--numprocesses=auto`: a worker more than cores.

    The end-to-end tests spend about a sixth of their time waiting (services starting, sockets, git,
    image builds), which the extra worker fills. PYTEST_XDIST_AUTO_NUM_WORKERS still decides where
    it is set.
    """
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    return len(os.sched_getaffinity(0)) + 1


@pytest.fixture(scope="session", autouse=True)
def shared_mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One mypy cache for all the projects a worker generates, as a developer's second run has one.

    mypy re-checks what differs (it compares each file's hash), not pandas-stubs and the other
    libraries again (16 s a project from cold).
    """
    os.environ["MYPY_CACHE_DIR"] = str(tmp_path_factory.getbasetemp() / "mypy-cache")


# The xdist group of the modules sharing `trained_project`: one worker builds it once.
TRAINED = "trained-project"


@pytest.fixture(scope="session")
def trained_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A default project, installed and through `make repro`, shared by every module of TRAINED.

    Session-scoped and used only by tests in the TRAINED xdist group, so it is built once (about a
    minute) for all of them. Tests write their outputs under their own names, never edit its inputs.
    """
    root = bake(tmp_path_factory.mktemp("trained"))
    run("make install repro", root)
    return root


def bake(where: Path, *, offline: bool = False, **answers: str) -> Path:
    """Render the template with the given answers (the rest default) and return the project.

    `offline`: the post-gen hook locks from uv's cache only (fast; with a cold cache it
    skips the lock and says so), for tests that check what is rendered, not the lock.
    """
    saved = os.environ.get("UV_OFFLINE")
    if offline:
        os.environ["UV_OFFLINE"] = "1"
    try:
        return Path(
            cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(where), extra_context=answers)
        )
    finally:
        if saved is None:
            os.environ.pop("UV_OFFLINE", None)
        else:
            os.environ["UV_OFFLINE"] = saved


# Set on this machine, not on GitHub's runners nor in most shells: every fresh project's
# `make install` would then compile the bytecode of what `make repro` imports (about 10
# CPU-seconds) instead of Python caching what it imports as it goes. The default journey sets
# it again to test that path.
UNLIKE_A_RUNNER = ("VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")


def runner_env() -> dict[str, str]:
    """This machine's environment as a runner or a user's shell has it: nothing of ours.

    A project's `make test` runs its tests in one process (pytest-xdist's "auto" is 0):
    this suite's own workers already keep every core busy. A test that wants the project's
    default sets PYTEST_XDIST_AUTO_NUM_WORKERS itself.
    """
    env = {key: value for key, value in os.environ.items() if key not in UNLIKE_A_RUNNER}
    env.setdefault("PYTEST_XDIST_AUTO_NUM_WORKERS", "0")
    return env


def project_env() -> dict[str, str]:
    """The environment a user's shell would have, with a test author's git identity."""
    env = runner_env()
    env.update(
        GIT_AUTHOR_NAME="Test User",
        GIT_AUTHOR_EMAIL="test@example.com",
        GIT_COMMITTER_NAME="Test User",
        GIT_COMMITTER_EMAIL="test@example.com",
        MLFLOW_DISABLE_TELEMETRY="true",
    )
    for name in ("CI", "GITHUB_ACTIONS", "GATE_BASELINE_REF", "GATE_OVERRIDE_REASON"):
        env.pop(name, None)  # set by the test where it matters (a CI run, an override)
    return env


def run(
    command: str, cwd: Path, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a shell command as a user would; on an unexpected result show all its output."""
    result = subprocess.run(
        command,
        shell=True,
        cwd=cwd,
        env={**project_env(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"`{command}` exited {result.returncode} in {cwd}\n"
            f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
        )
    return result
