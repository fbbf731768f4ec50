"""Every meaningful combination of answers renders to a clean, lint-free project."""

from __future__ import annotations

import configparser
import itertools
import json
import py_compile
import re
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml
from cookiecutter.main import cookiecutter

from .conftest import TEMPLATE, bake

TASKS = ("classification", "regression")
MODELS = ("random_forest", "gradient_boosting", "linear")
LICENSES = ("MIT", "Apache-2.0", "BSD-3-Clause", "Proprietary")
PYTHONS = ("3.11", "3.12", "3.13")
# Every pair of answers renders together: each model with each license, each license with
# each Python, each task with each of them (12 projects instead of all 72 combinations; the
# answers interact only in pairs: one file at a time reads two of them at most).
PAIRWISE = [
    ("regression", "random_forest", "MIT", "3.11"),
    ("classification", "random_forest", "Apache-2.0", "3.13"),
    ("regression", "random_forest", "BSD-3-Clause", "3.12"),
    ("classification", "random_forest", "Proprietary", "3.12"),
    ("classification", "gradient_boosting", "MIT", "3.12"),
    ("regression", "gradient_boosting", "Apache-2.0", "3.11"),
    ("classification", "gradient_boosting", "BSD-3-Clause", "3.11"),
    ("classification", "gradient_boosting", "Proprietary", "3.13"),
    ("regression", "linear", "MIT", "3.13"),
    ("classification", "linear", "Apache-2.0", "3.12"),
    ("regression", "linear", "BSD-3-Clause", "3.13"),
    ("regression", "linear", "Proprietary", "3.11"),
]
# The DVC remote changes .dvc/config and a line of pyproject.toml: each kind appears twice or more.
REMOTES = ("none", "s3://acme-ml/churn", "gs://acme-ml/churn", "azure://acme-ml/churn", "/srv/dvc")
DVC_EXTRAS = {"s3://": "dvc[s3]", "gs://": "dvc[gs]", "azure://": "dvc[azure]"}
COMBINATIONS = [
    {
        "task": task,
        "model": model,
        "license": licence,
        "python_version": python,
        "dvc_remote": remote,
    }
    for (task, model, licence, python), remote in zip(
        PAIRWISE, itertools.cycle(REMOTES), strict=False
    )
]
LICENSE_MARKERS = {
    "MIT": "MIT License",
    "Apache-2.0": "Apache License",
    "BSD-3-Clause": "BSD 3-Clause License",
    "Proprietary": "All rights reserved.",
}
TARGETS = {"classification": "churned", "regression": "lifetime_value"}
# Jinja leftovers; `${{ ... }}` is GitHub Actions syntax and may stay.
JINJA = re.compile(r"(?<!\$){{|{%|{#")
# All the Jinja the project's Python may hold: names and the description (a docstring). No
# `{%`: model and task are configuration (params.yaml, contract.yaml), not choices in Python.
PYTHON_JINJA = {
    "cookiecutter.package_name",
    "cookiecutter.project_slug",
    "cookiecutter.description",
}


def case_id(answers: dict[str, str]) -> str:
    """The answers joined; a remote by its scheme ("s3") or, for a path, "path"."""
    remote = answers["dvc_remote"]
    scheme = remote.split("://")[0] if "://" in remote else "path" if remote != "none" else remote
    return "-".join([*(value for key, value in answers.items() if key != "dvc_remote"), scheme])


def text_files(project: Path) -> list[Path]:
    skip = {".git", ".venv"}
    return [
        path
        for path in project.rglob("*")
        if path.is_file()
        and not skip.intersection(path.relative_to(project).parts)
        and path.name != "uv.lock"
    ]


def pairs(rows: Sequence[tuple[str, ...]]) -> set[tuple[int, str, int, str]]:
    return {(i, row[i], j, row[j]) for row in rows for i, j in itertools.combinations(range(4), 2)}


def test_the_rendered_combinations_cover_every_pair_of_answers() -> None:
    every = list(itertools.product(TASKS, MODELS, LICENSES, PYTHONS))
    assert pairs(PAIRWISE) == pairs(every)


# Each combination's tests stay on one xdist worker, which bakes it once.
@pytest.fixture(
    scope="module",
    params=[pytest.param(a, marks=pytest.mark.xdist_group(case_id(a))) for a in COMBINATIONS],
    ids=case_id,
)
def project(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, str]]:
    answers = request.param
    return bake(tmp_path_factory.mktemp("render"), offline=True, **answers), answers


def test_no_template_syntax_is_left(project: tuple[Path, dict[str, str]]) -> None:
    root, _ = project
    leftovers = [
        f"{path.relative_to(root)}: {match.group(0)}"
        for path in text_files(root)
        for match in [JINJA.search(path.read_text(errors="ignore"))]
        if match
    ]
    assert leftovers == []


def test_only_the_chosen_variants_remain(project: tuple[Path, dict[str, str]]) -> None:
    root, answers = project
    assert LICENSE_MARKERS[answers["license"]] in (root / "LICENSE").read_text()
    assert not (root / "_licenses").exists()
    assert not list(root.rglob("variants"))
    header = (root / "data/golden/golden.csv").read_text().splitlines()[0]
    assert header.endswith(TARGETS[answers["task"]])
    baseline = json.loads((root / "metrics/baseline.json").read_text())
    gated = yaml.safe_load((root / "params.yaml").read_text())["gate"]["metrics"]
    assert set(gated) <= set(baseline["metrics"])


def test_answers_are_recorded_without_private_keys(project: tuple[Path, dict[str, str]]) -> None:
    root, answers = project
    recorded = json.loads((root / ".cookiecutter.json").read_text())
    assert {key: recorded[key] for key in answers} == answers
    assert not [key for key in recorded if key.startswith("_")]


def test_python_files_compile_and_pass_ruff(project: tuple[Path, dict[str, str]]) -> None:
    root, _ = project
    for path in root.rglob("*.py"):
        py_compile.compile(str(path), doraise=True)
    ruff = [sys.executable, "-m", "ruff"]
    for command in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        result = subprocess.run(
            [*ruff, *command], cwd=root, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_config_files_are_valid(project: tuple[Path, dict[str, str]]) -> None:
    root, answers = project
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    assert pyproject["project"]["requires-python"] == f">={answers['python_version']}"
    assert (root / ".python-version").read_text().strip() == answers["python_version"]
    params = yaml.safe_load((root / "params.yaml").read_text())
    stages = yaml.safe_load((root / "dvc.yaml").read_text())["stages"]
    assert list(stages) == ["generate", "data", "train", "evaluate", "export"]
    assert set(params) >= {"paths", "model", "gate"}
    assert params["model"]["kind"] == answers["model"]
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dvc_remote_is_the_default_with_its_extra_and_a_linked_cache(
    project: tuple[Path, dict[str, str]],
) -> None:
    root, answers = project
    config = configparser.ConfigParser()
    config.read(root / ".dvc" / "config")
    remote = answers["dvc_remote"]
    pipeline = tomllib.loads((root / "pyproject.toml").read_text())["dependency-groups"]["pipeline"]
    dvc = [entry for entry in pipeline if isinstance(entry, str) and entry.startswith("dvc")]
    extra = next((name for scheme, name in DVC_EXTRAS.items() if remote.startswith(scheme)), "dvc")

    assert config["cache"]["type"] == '"reflink,hardlink,symlink"'
    assert dvc == [f"{extra}>=3.55"]
    if remote == "none":
        assert "remote" not in config["core"]
        assert [section for section in config if section.startswith("'remote")] == []
    else:
        assert config["core"]["remote"] == "storage"
        assert config["'remote \"storage\"'"]["url"] == remote


def test_project_is_a_git_repository_on_main(project: tuple[Path, dict[str, str]]) -> None:
    root, _ = project
    head = (root / ".git" / "HEAD").read_text().strip()
    assert head == "ref: refs/heads/main"


def test_dockerfile_passes_hadolint_and_runs_as_a_user_with_a_healthcheck(
    project: tuple[Path, dict[str, str]],
) -> None:
    root, _ = project
    dockerfile = (root / "Dockerfile").read_text()
    result = subprocess.run(
        [Path(sys.executable).with_name("hadolint"), "Dockerfile"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^USER \d+:\d+$", dockerfile, flags=re.M)
    assert re.search(r"^HEALTHCHECK\b.*?CMD \[", dockerfile, flags=re.M | re.S)
    assert re.search(r"^FROM python:\S+@sha256:[0-9a-f]{64} AS base$", dockerfile, flags=re.M)


@pytest.mark.parametrize("task", TASKS)
def test_a_long_package_name_still_passes_ruff(task: str, tmp_path: Path) -> None:
    """Imports and docstrings naming the package must wrap: 42 characters still fit in 100."""
    root = bake(
        tmp_path, offline=True, project_name="Customer Lifetime Value Prediction Service", task=task
    )
    assert (root / "src" / "customer_lifetime_value_prediction_service").is_dir()
    ruff = [sys.executable, "-m", "ruff"]
    for command in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        result = subprocess.run(
            [*ruff, *command], cwd=root, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr


CHECK = "tests/pipeline/test_pipeline_declarations.py"


def declarations_check(project: Path) -> subprocess.CompletedProcess[str]:
    """The generated project's own dvc.yaml check (stdlib and yaml only), run as it is."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--noconftest", "-p", "no:cacheprovider", "-q", CHECK],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


def test_pipeline_declarations_check_catches_an_undeclared_read(tmp_path: Path) -> None:
    project = bake(tmp_path, task="regression", model="linear")
    package = project / "src" / "customer_churn"
    assert declarations_check(project).returncode == 0, declarations_check(project).stdout

    evaluate = package / "pipeline" / "evaluate.py"
    planted = "\n\ndef planted(params):\n    return params.drift\n"
    evaluate.write_text(evaluate.read_text() + planted)
    train = package / "pipeline" / "train.py"
    train.write_text("from customer_churn.monitor import drift  # noqa: F401\n" + train.read_text())
    result = declarations_check(project)

    assert result.returncode != 0
    assert "stage 'evaluate' reads params.yaml sections ['drift']" in result.stdout
    assert re.search(
        r"stage 'train' runs \[[^]]*'src/customer_churn/monitor/drift.py'", result.stdout
    )


def test_template_python_renders_names_not_choices() -> None:
    sources = list((TEMPLATE / "{{cookiecutter.project_slug}}").rglob("*.py"))
    assert len(sources) > 20
    for path in sources:
        text = path.read_text()
        assert "{%" not in text, f"{path}: a Jinja statement in Python"
        assert set(re.findall(r"{{\s*(.*?)\s*}}", text)) <= PYTHON_JINJA, path
        # the demo's default names, written out, break every project named otherwise
        assert not re.search(r"customer[-_]churn", text), f"{path}: names the demo project"


def test_rendered_python_is_the_same_for_every_model_and_task(tmp_path: Path) -> None:
    """Switching model or task needs no re-rendering: the Python is identical.

    The target in contract.yaml (data) decides the task.
    """

    def python_of(task: str, model: str) -> dict[Path, str]:
        root = Path(
            cookiecutter(
                str(TEMPLATE),
                no_input=True,
                output_dir=str(tmp_path / f"{task}-{model}"),
                extra_context={"task": task, "model": model, "description": "Same text."},
                accept_hooks=False,
            )
        )
        return {path.relative_to(root): path.read_text() for path in root.rglob("*.py")}

    rendered = {(task, model): python_of(task, model) for task in TASKS for model in MODELS}
    reference = rendered["classification", "random_forest"]
    for (task, model), files in rendered.items():
        assert files.keys() == reference.keys()
        assert {path for path in files if files[path] != reference[path]} == set(), (task, model)
