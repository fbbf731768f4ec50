"""params.yaml is checked at load: a typo or a wrong type is named, not silently used."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from {{ cookiecutter.package_name }}.core.contract import TARGET
from {{ cookiecutter.package_name }}.core.estimators import KINDS
from {{ cookiecutter.package_name }}.core.params import Params, ParamsError, load_params
from {{ cookiecutter.package_name }}.core.task import (
    Classification,
    Multiclass,
    Regression,
)

from ..conftest import PROJECT


def write_params(tmp_path: Path, change: Callable[[dict[str, Any]], object]) -> Path:
    content = yaml.safe_load((PROJECT / "params.yaml").read_text())
    change(content)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(content))
    return path


def test_project_params_load(params: Params) -> None:
    assert params.gate.metrics


def test_unknown_key_is_rejected_by_name(tmp_path: Path) -> None:
    path = write_params(tmp_path, lambda p: p["split"].update(test_sise=0.3))

    with pytest.raises(ParamsError, match=r"split\.test_sise"):
        load_params(path)


def test_wrong_direction_is_rejected_by_name(tmp_path: Path) -> None:
    def change(p: dict[str, Any]) -> None:
        next(iter(p["gate"]["metrics"].values()))["direction"] = "up"

    path = write_params(tmp_path, change)

    with pytest.raises(ParamsError, match=r"gate\.metrics\..*\.direction"):
        load_params(path)


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ParamsError, match="cannot read"):
        load_params(tmp_path / "nope.yaml")


# The tasks this project does not have: their sections and metrics must be refused here.
OTHER_TASKS = [
    task for task in (Classification, Multiclass, Regression) if task.name != TARGET.task.name
]


@pytest.mark.parametrize("kind", KINDS)
def test_one_line_chooses_any_model_kind_with_its_defaults(tmp_path: Path, kind: str) -> None:
    path = write_params(tmp_path, lambda p: p.update(model={"kind": kind}))

    model = load_params(path).model

    assert isinstance(model, KINDS[kind])
    assert model == KINDS[kind].model_validate({"kind": kind})


def test_a_key_the_kind_does_not_take_is_named_with_the_keys_it_takes(tmp_path: Path) -> None:
    path = write_params(tmp_path, lambda p: p.update(model={"kind": "linear", "n_estimators": 5}))

    with pytest.raises(ParamsError, match=r"model\.n_estimators: .*kind linear takes alpha"):
        load_params(path)


@pytest.mark.parametrize("model", [{"kind": "xgboost"}, {"n_estimators": 5}])
def test_an_unknown_or_missing_kind_lists_the_kinds(
    tmp_path: Path, model: dict[str, object]
) -> None:
    path = write_params(tmp_path, lambda p: p.update(model=model))

    with pytest.raises(ParamsError, match=r"model: .*random_forest.*gradient_boosting.*linear"):
        load_params(path)


@pytest.mark.parametrize("section", ["validation", "export"])
def test_a_section_of_the_other_task_is_named_with_the_contracts_task(
    tmp_path: Path, section: str
) -> None:
    own_settings = getattr(TARGET.task, f"{section}_settings")
    settings = next(  # binary and multiclass share `export`: the first that differs
        getattr(task, f"{section}_settings")
        for task in OTHER_TASKS
        if getattr(task, f"{section}_settings") is not own_settings
    )
    own_fields = getattr(TARGET.task, f"{section}_settings").model_fields
    foreign = [name for name in settings.model_fields if name not in own_fields]
    if not foreign:  # regression's export takes classification's one key (atol) too
        pytest.skip(f"every key of the other task's {section} is one this task takes")
    other = dict.fromkeys(settings.model_fields, 0.5)
    path = write_params(tmp_path, lambda p: p.update({section: other}))

    with pytest.raises(ParamsError) as refused:
        load_params(path)

    message = str(refused.value)
    own = getattr(TARGET.task, f"{section}_settings").model_fields
    assert re.search(rf"^  {section}\.\w+: ", message, flags=re.MULTILINE)  # the field, by name
    assert f"{section} for {TARGET.task.name} takes {', '.join(own)}" in message
    assert f"contract.yaml's target {TARGET.name!r}, a {type(TARGET).__name__}" in message
