"""params.yaml is checked at load: a typo or a wrong type is named, not silently used."""

from __future__ import annotations

import pytest
import yaml

from {{ cookiecutter.package_name }}.params import ParamsError, load_params

from .conftest import PROJECT


def write_params(tmp_path, change):
    content = yaml.safe_load((PROJECT / "params.yaml").read_text())
    change(content)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(content))
    return path


def test_project_params_load(params):
    assert params.gate.metrics


def test_unknown_key_is_rejected_by_name(tmp_path):
    path = write_params(tmp_path, lambda p: p["split"].update(test_sise=0.3))

    with pytest.raises(ParamsError, match=r"split\.test_sise"):
        load_params(path)


def test_wrong_direction_is_rejected_by_name(tmp_path):
    def change(p):
        next(iter(p["gate"]["metrics"].values()))["direction"] = "up"

    path = write_params(tmp_path, change)

    with pytest.raises(ParamsError, match=r"gate\.metrics\..*\.direction"):
        load_params(path)


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(ParamsError, match="cannot read"):
        load_params(tmp_path / "nope.yaml")
