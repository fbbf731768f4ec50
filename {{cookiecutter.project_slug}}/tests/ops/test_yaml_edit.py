"""yaml_edit: params.yaml edited as YAML, its comments kept and its floats read back as floats."""

from __future__ import annotations

from pathlib import Path

import yaml

from {{ cookiecutter.package_name }}.ops import yaml_edit

TEXT = """\
# a file's own words
gate:                  # the rules
  metrics:             # one per metric
    auc: {direction: higher, tolerance: 0.01}

drift:
  bins: 10             # quantile bins
  seed: 0
"""


def test_values_change_and_every_comment_stays(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text(TEXT)
    data = yaml_edit.load(path)

    rules = {"rmse": {"direction": "lower", "tolerance": 2.5e-05, "limit": float("inf")}}
    yaml_edit.replace_items(data["gate"]["metrics"], rules, keep_comments=False)
    data["drift"]["bins"] = 4
    text = yaml_edit.dump(data)

    assert text == (
        "# a file's own words\n"
        "gate:                  # the rules\n"
        "  metrics:             # one per metric\n"
        "    rmse: {direction: lower, tolerance: 2.5e-05, limit: .inf}\n"
        "\n"
        "drift:\n"
        "  bins: 4              # quantile bins\n"
        "  seed: 0\n"
    )


def test_floats_are_written_as_pyyaml_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text(TEXT)
    data = yaml_edit.load(path)
    values = [1e-05, 1e20, 0.5, float("-inf")]

    data["drift"]["seed"] = values
    loaded = yaml.safe_load(yaml_edit.dump(data))  # PyYAML, as params.py reads params.yaml

    assert loaded["drift"]["seed"] == values
    assert all(isinstance(value, float) for value in loaded["drift"]["seed"])
