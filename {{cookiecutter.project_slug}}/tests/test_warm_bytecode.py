"""scripts/warm_bytecode.py: what `make install` imports where Python would not cache bytecode."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import yaml

from {{ cookiecutter.package_name }}.cli import PACKAGE, PROG

from .conftest import PROJECT


def warm_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "warm_bytecode", PROJECT / "scripts" / "warm_bytecode.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_it_imports_the_module_of_every_stage_of_dvc_yaml() -> None:
    modules: list[str] = warm_script().stage_modules(PROJECT / "dvc.yaml")
    stages = yaml.safe_load((PROJECT / "dvc.yaml").read_text())["stages"]
    assert len(modules) == len(stages)
    assert f"{PACKAGE}.pipeline.train" in modules
    for module in modules:  # each names a file of the package, as cli.py imports it
        relative = Path(*module.split(".")[1:]).with_suffix(".py")
        assert (PROJECT / "src" / PACKAGE / relative).is_file(), module


def test_a_stage_that_is_not_a_command_of_the_project_is_left_out(tmp_path: Path) -> None:
    dvc_yaml = tmp_path / "dvc.yaml"
    stages = {"mine": {"cmd": "python my_step.py"}, "unknown": {"cmd": f"{PROG} nothing"}}
    dvc_yaml.write_text(yaml.safe_dump({"stages": stages}))
    assert warm_script().stage_modules(dvc_yaml) == []
