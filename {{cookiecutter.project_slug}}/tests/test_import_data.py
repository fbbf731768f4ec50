"""`make import-data`: a table becomes the contract, the data and the settings.

Or it is refused by column, with the project left exactly as it was. Runs in a copy of the
project's files.
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package_name }}.import_data import main

from .conftest import PROJECT

CONTRACT = Path("src") / "{{ cookiecutter.package_name }}" / "contract.py"
KEPT = (Path("params.yaml"), Path("dvc.yaml"), CONTRACT)


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """The files import-data reads and rewrites, copied to a scratch folder."""
    for path in KEPT:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(PROJECT / path, tmp_path / path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def table(rows: int = 400, seed: int = 0) -> pd.DataFrame:
    """A table with the awkward parts: spaces in names, nulls, text labels, a boolean."""
    rng = np.random.default_rng(seed)
    size = rng.normal(10, 2, rows).round(2)
    frame = pd.DataFrame(
        {
            "tumour size (mm)": size,
            "visits": rng.integers(0, 9, rows).astype(float),
            "colour": rng.choice(["red", "green", "blue"], rows).astype(object),
            "smoker": rng.random(rows) < 0.3,
            "outcome": np.where(size + rng.normal(0, 2, rows) > 11, "bad", "good"),
        }
    )
    frame.loc[rng.random(rows) < 0.05, "colour"] = None
    frame.loc[rng.random(rows) < 0.05, "visits"] = None
    frame.loc[:4, "outcome"] = None  # five rows without a target
    return pd.concat([frame, frame.iloc[10:13]], ignore_index=True)  # three duplicates


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def run(frame: pd.DataFrame, *args: str, name: str = "table.csv") -> int:
    path = Path(name)
    frame.to_parquet(path) if path.suffix == ".parquet" else frame.to_csv(path, index=False)
    return main(["--data", str(path), *args])


def test_a_table_becomes_contract_data_and_settings(project, capsys):
    status = run(table(), "--target", "outcome")

    assert status == 0, capsys.readouterr().err
    output = capsys.readouterr().out
    assert "dropped 5 row(s) without a target and 3 exact duplicate(s)" in output
    params = yaml.safe_load(Path("params.yaml").read_text())  # either task's sections
    raw, golden = pd.read_csv(params["paths"]["raw"]), pd.read_csv(params["paths"]["golden"])
    assert len(raw) + len(golden) == 400 - 5
    assert len(golden) == 79  # 20% of 395 rows, rounded up
    assert set(raw["outcome"]) == set(golden["outcome"]) == {"bad", "good"}  # the table's labels
    features = ["tumour size (mm)", "visits", "colour", "smoker"]
    assert not set(map(tuple, raw[features].astype(str).values)) & set(
        map(tuple, golden[features].astype(str).values)
    )
    assert "generate:" not in Path("dvc.yaml").read_text()
    assert (
        "${paths.reports}/plots/roc.csv" in yaml.safe_load(Path("dvc.yaml").read_text())["plots"][0]
    )
    assert "sample" not in params
    assert set(params["gate"]["metrics"]) == {"roc_auc", "average_precision", "f1", "brier_score"}
    assert params["validation"]["min_positive_share"] < (raw["outcome"] == "bad").mean()


def test_the_written_contract_reads_the_table_right_and_is_ruff_clean(project):
    run(table(), "--target", "outcome")

    spec = importlib.util.spec_from_file_location("imported_contract", CONTRACT)
    contract = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(contract)
    kinds = {feature.name: feature for feature in contract.FEATURES}
    assert contract.ID is None
    assert kinds["tumour size (mm)"].dtype == "float"
    assert kinds["visits"].dtype == "int"
    assert kinds["visits"].max_null_share > 0.05
    assert kinds["colour"].categories == ("blue", "green", "red")
    assert kinds["colour"].nullable
    assert type(kinds["smoker"]).__name__ == "BooleanFeature"
    assert type(contract.TARGET).__name__ == "BinaryTarget"
    assert contract.TARGET.classes == ("good", "bad")  # the rarer label is the positive class
    settings = str(PROJECT / "pyproject.toml")  # the project's rules, docstrings included
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--config", settings, str(CONTRACT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout


def test_parquet_with_an_id_column_and_a_numeric_target(project):
    frame = table().dropna(subset=["outcome"]).drop_duplicates().reset_index(drop=True)
    frame["patient"] = [f"P{row}" for row in range(len(frame))]
    frame["cost"] = frame["tumour size (mm)"] * 100 + np.arange(len(frame)) % 7

    args = ("--target", "cost", "--id", "patient")
    status = run(frame.drop(columns=["outcome"]), *args, name="table.parquet")

    assert status == 0
    contract = CONTRACT.read_text()
    assert "IdColumn('patient')" in contract or 'IdColumn("patient")' in contract
    assert "NumericTarget(" in contract
    gate = yaml.safe_load(Path("params.yaml").read_text())["gate"]["metrics"]
    assert set(gate) == {"rmse", "mae", "r2"}
    assert gate["rmse"]["tolerance"] > 1  # in the target's units (hundreds)
    plots = yaml.safe_load(Path("dvc.yaml").read_text())["plots"]
    assert [next(iter(plot)) for plot in plots] == ["${paths.reports}/plots/predictions.csv"]


@pytest.mark.parametrize(
    ("change", "args", "message"),
    [
        (lambda f: f.iloc[:0], ("--target", "outcome"), "no rows"),
        (lambda f: f, ("--target", "result"), "target column 'result' is not in the table"),
        (lambda f: f.assign(outcome="good"), ("--target", "outcome"), "one class only"),
        (lambda f: f.assign(visits=3.0), ("--target", "outcome"), "'visits' holds one value"),
        (lambda f: f.assign(colour=None), ("--target", "outcome"), "'colour' is empty"),
        (
            lambda f: f.assign(colour=[f"c{i}" for i in range(len(f))]),
            ("--target", "outcome"),
            "'colour' holds 398 distinct texts",
        ),
        (lambda f: f.head(40), ("--target", "outcome"), "at least 100 are needed"),
        (lambda f: f, ("--target", "outcome", "--id", "colour"), "id column 'colour'"),
    ],
    ids=["empty", "no target", "one class", "constant", "all null", "free text", "few", "bad id"],
)
def test_a_refused_table_is_named_and_changes_nothing(project, capsys, change, args, message):
    before = {path: digest(path) for path in KEPT}

    status = run(change(table()), *args)

    assert status == 2
    error = capsys.readouterr().err
    assert message in error
    assert "Nothing in the project was changed" in error
    assert {path: digest(path) for path in KEPT} == before
    assert not Path("data").exists()
    assert not list(project.glob(".import-data-*"))
