"""dvc.yaml declares everything each stage reads, so no stage's outputs go stale unnoticed.

`dvc repro` re-runs a stage when any of it changes, and the gate never judges stale metrics.

For every stage run as `<project> <command>`, read from the source of the command's module
(cli.py's COMMANDS names it; the command line itself only dispatches, so it is not a dep):
- each project module it imports, directly or through other project modules (imports inside
  functions included), must be among the stage's `deps`;
- each params.yaml section it reads (`params.<section>`) must be among its `params`;
- each path it uses (`paths.<name>`) must be among its `deps`, `outs`, `metrics` or `plots`;
- a stage that runs core/contract.py depends on the data it reads, core/contract.yaml.
Package `__init__.py` files must hold no code, so that they need no declaring.

Standard library and yaml only: the template's own tests run this file against a planted
undeclared read.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[2]
PACKAGE = "{{ cookiecutter.package_name }}"
SOURCE = PROJECT / "src"
STAGES: dict[str, dict[str, Any]] = yaml.safe_load((PROJECT / "dvc.yaml").read_text())["stages"]
SECTIONS = set(yaml.safe_load((PROJECT / "params.yaml").read_text())) - {"paths"}


def command_modules() -> dict[str, str]:
    """cli.py's COMMANDS: each command's module, read from the source (this runs without it)."""
    tree = ast.parse((SOURCE / PACKAGE / "cli.py").read_text())
    table = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(target, ast.Name) and target.id == "COMMANDS" for target in node.targets)
    )
    assert isinstance(table, ast.Dict)
    return {
        ast.literal_eval(key): f"{PACKAGE}.{ast.literal_eval(value.args[0])}"
        for key, value in zip(table.keys, table.values, strict=True)
        if key is not None and isinstance(value, ast.Call)
    }


COMMAND = "{{ cookiecutter.project_slug }} "


def module_file(module: str) -> Path | None:
    base = SOURCE.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def project_imports(path: Path) -> set[Path]:
    """The project modules `path` imports (`from pkg import git` names the module pkg/git.py)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    found = set()
    for name in names:
        if name == PACKAGE or name.startswith(f"{PACKAGE}."):
            parts = name.split(".")
            # Importing a.b.c runs a/__init__.py and a/b/__init__.py too.
            for depth in range(1, len(parts) + 1):
                file = module_file(".".join(parts[:depth]))
                if file is not None:
                    found.add(file)
    return found


def modules_of(stage: dict[str, Any]) -> set[Path]:
    """Every project file a stage's command runs, transitively."""
    module = command_modules()[stage["cmd"].removeprefix(COMMAND).split()[0]]
    start = module_file(module)
    assert start is not None, f"{module} is not a module of src/"
    seen: set[Path] = set()
    todo = {start}
    while todo:
        path = todo.pop()
        seen.add(path)
        todo |= project_imports(path) - seen
    return seen


def reads_params(node: ast.expr) -> bool:
    """`params`, `self.params` or `load_params()`: the loaded params.yaml, by our names."""
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Name) and node.func.id == "load_params"
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)
    return name == "params"


def reads_paths(node: ast.expr) -> bool:
    """`paths` or `<params>.paths`."""
    if isinstance(node, ast.Name):
        return node.id == "paths"
    return isinstance(node, ast.Attribute) and node.attr == "paths" and reads_params(node.value)


def reads_of(path: Path) -> tuple[set[str], set[str]]:
    """The params sections and the `paths` entries a module reads."""
    sections, paths = set(), set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute):
            if node.attr in SECTIONS and reads_params(node.value):
                sections.add(node.attr)
            elif reads_paths(node.value):
                paths.add(node.attr)
    return sections, paths


def declared_params(stage: dict[str, Any]) -> set[str]:
    names = set()
    for entry in stage.get("params", []):
        names |= set(entry) if isinstance(entry, dict) else {entry}
    return names


def declared_files(stage: dict[str, Any]) -> str:
    """Every dep, out, metric and plot of a stage, as one text to search `${paths.x}` in."""
    entries = []
    for key in ("deps", "outs", "metrics", "plots"):
        for entry in stage.get(key, []):
            entries += list(entry) if isinstance(entry, dict) else [entry]
    return "\n".join(entries)


PYTHON_STAGES = [name for name, stage in STAGES.items() if stage["cmd"].startswith(COMMAND)]


@pytest.mark.parametrize("name", PYTHON_STAGES)
def test_stage_declares_every_module_it_runs(name: str) -> None:
    stage = STAGES[name]
    deps = set(stage.get("deps", []))
    missing = []
    for path in sorted(modules_of(stage)):
        relative = path.relative_to(PROJECT).as_posix()
        if path.name == "__init__.py":
            code = [node for node in ast.parse(path.read_text()).body if not is_docstring(node)]
            assert not code, f"{relative} holds code: move it to a module, or declare it"
        elif relative not in deps:
            missing.append(relative)
        data = path.with_suffix(".yaml").relative_to(PROJECT).as_posix()
        if path.name == "contract.py" and data not in deps:
            missing.append(data)
    assert not missing, f"stage {name!r} runs {missing} but dvc.yaml does not list them in deps"


@pytest.mark.parametrize("name", PYTHON_STAGES)
def test_stage_declares_every_param_and_path_it_reads(name: str) -> None:
    stage = STAGES[name]
    declared = declared_params(stage)
    files = declared_files(stage)
    undeclared_sections, undeclared_paths = set(), set()
    for path in modules_of(stage):
        sections, paths = reads_of(path)
        undeclared_sections |= {s for s in sections if s not in {d.split(".")[0] for d in declared}}
        undeclared_paths |= {p for p in paths if placeholder(p) not in files}
    assert not undeclared_sections, (
        f"stage {name!r} reads params.yaml sections {sorted(undeclared_sections)} that dvc.yaml "
        "does not list in its params"
    )
    assert not undeclared_paths, (
        f"stage {name!r} uses paths {sorted(undeclared_paths)} that dvc.yaml does not list "
        "among its deps or outputs"
    )


def placeholder(name: str) -> str:
    """How dvc.yaml names a path from params.yaml: `${paths.<name>}`."""
    return "${paths." + name + "}"


def is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
