"""contract.yaml: read and validated into the features, or refused by the field and its fix."""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from {{ cookiecutter.package_name }}.core import contract
from {{ cookiecutter.package_name }}.core.contract_file import (
    GUIDE,
    ContractError,
    parse,
    read,
    text_of,
)
from {{ cookiecutter.package_name }}.core.features import IdColumn
from {{ cookiecutter.package_name }}.core.targets import BinaryTarget

from ..conftest import PROJECT

ENTRIES = yaml.safe_load(contract.CONTRACT_FILE.read_text())


def test_the_contract_file_is_what_the_package_exposes() -> None:
    identity, features, target = read(contract.CONTRACT_FILE)

    assert (identity, features, target) == (contract.ID, contract.FEATURES, contract.TARGET)
    assert contract.feature_names() == [entry["name"] for entry in ENTRIES["features"]]
    assert GUIDE in contract.CONTRACT_FILE.read_text()  # the keys explained in the file itself


def test_written_back_as_data_the_contract_and_its_fingerprint_are_unchanged(
    tmp_path: Path,
) -> None:
    path = tmp_path / "contract.yaml"
    written = text_of(contract.ID, list(contract.FEATURES), contract.TARGET, "# a copy\n", path)
    path.write_text(written)

    assert read(path) == (contract.ID, contract.FEATURES, contract.TARGET)
    numbers = [e[key] for e in ENTRIES["features"] for key in ("minimum", "maximum") if key in e]
    assert [type(n) for n in numbers] == [  # 0 stays 0, not 0.0: the fingerprint holds
        type(n)
        for e in yaml.safe_load(written)["features"]
        for key in ("minimum", "maximum")
        if key in e
        for n in [e[key]]
    ]


# A small contract of every kind, whatever this project's own contract holds.
EXAMPLE = {
    "id": {"name": "patient"},
    "features": [
        {"name": "age", "kind": "numeric", "dtype": "int", "minimum": 0, "maximum": 120},
        {"name": "colour", "kind": "categorical", "categories": ["red", "green"]},
        {"name": "smoker", "kind": "boolean", "max_null_share": 0.05},
    ],
    "target": {"name": "outcome", "kind": "binary", "classes": ["good", "bad"]},
}
NUMERIC, CATEGORICAL, NAME = 0, 1, "age"


def changed(change: Callable[[Any], None], entries: dict[str, Any] | None = None) -> str:
    """A contract (EXAMPLE unless given) with one change, as YAML text."""
    entries = copy.deepcopy(EXAMPLE if entries is None else entries)
    change(entries)
    return yaml.safe_dump(entries, sort_keys=False)


def test_the_example_is_a_valid_contract() -> None:
    identity, features, target = parse(changed(lambda e: None), Path("contract.yaml"))

    assert identity == IdColumn("patient")
    assert [type(feature).__name__ for feature in features] == [
        "NumericFeature",
        "CategoricalFeature",
        "BooleanFeature",
    ]
    assert isinstance(target, BinaryTarget)
    assert target.classes == ("good", "bad")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda e: e["features"][NUMERIC].update(minimum=10**9),
            rf"features\[{NUMERIC}\] \('{NAME}'\): .*minimum 1000000000 is above maximum",
        ),
        (
            lambda e: e["features"][NUMERIC].update(maximum="ten"),
            rf"features\[{NUMERIC}\]\.maximum \('{NAME}'\): 'ten' is not a number: write one",
        ),
        (
            lambda e: e["features"][NUMERIC].update(minimum=True),
            rf"features\[{NUMERIC}\]\.minimum \('{NAME}'\): True is not a number",
        ),
        (
            lambda e: e["features"][NUMERIC].update(kind="numerical"),
            rf"features\[{NUMERIC}\].*unknown kind: 'numerical'",
        ),
        (
            lambda e: e["features"][NUMERIC].update(categories=["a"]),
            rf"features\[{NUMERIC}\]\.categories .*not a key of this kind: remove it",
        ),
        (
            lambda e: e["features"][CATEGORICAL].update(categories=[True, False]),
            rf"features\[{CATEGORICAL}\]\.categories\[0\] .*YAML reads yes/no.*: quote it",
        ),
        (
            lambda e: e["features"][NUMERIC].update(max_null_share=2),
            rf"features\[{NUMERIC}\]\.max_null_share .*less than or equal to 1",
        ),
        (
            lambda e: e["features"].append(dict(e["features"][0])),
            r"named more than once .*each column has one role",
        ),
        (lambda e: e.pop("target"), r"  target: Field required"),
        (lambda e: e["target"].update(kind="ordinal"), r"target: unknown kind: 'ordinal'"),
    ],
    ids=[
        "empty range",
        "text for a number",
        "boolean for a number",
        "unknown kind",
        "key of another kind",
        "unquoted yes/no",
        "share above 1",
        "a column twice",
        "no target",
        "unknown target kind",
    ],
)
def test_a_wrong_entry_is_refused_by_its_place_in_the_file(
    change: Callable[[Any], None], message: str
) -> None:
    with pytest.raises(ContractError, match=message) as refused:
        parse(changed(change), Path("contract.yaml"))

    assert str(refused.value).startswith("contract.yaml is not a valid contract; fix these")


def test_every_wrong_field_is_named_at_once() -> None:
    def two(entries: Any) -> None:
        entries["features"][NUMERIC]["dtype"] = "integer"
        entries["features"][NUMERIC]["maximum"] = "ten"
        entries["target"]["name"] = ""

    with pytest.raises(ContractError) as refused:
        parse(changed(two), Path("contract.yaml"))

    assert f"features[{NUMERIC}].dtype ('{NAME}')" in str(refused.value)
    assert "target.name" in str(refused.value)
    assert str(refused.value).count(".maximum") == 1  # one line a field, not one a type


def test_a_file_that_is_not_yaml_is_refused_by_path() -> None:
    with pytest.raises(ContractError, match=r"contract\.yaml is not YAML"):
        parse("features: [unclosed", Path("contract.yaml"))


def test_a_broken_contract_stops_every_command_with_its_message_and_status(tmp_path: Path) -> None:
    """The package reads its contract on import: the CLI's error boundary reports it."""
    package, source = tmp_path / "src", PROJECT / "src"
    shutil.copytree(source, package, ignore=shutil.ignore_patterns("__pycache__"))
    broken = package.joinpath(*contract.CONTRACT_FILE.relative_to(source).parts)
    broken.write_text(changed(lambda e: e["features"][0].update(kind="numerical"), ENTRIES))

    result = subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}", "data"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(package), "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 17, result.stderr
    assert f"data: {broken} is not a valid contract" in result.stderr
    first = ENTRIES["features"][0]["name"]
    assert f"features[0] ({first!r}): unknown kind: 'numerical'" in result.stderr
    assert "Traceback" not in result.stderr
