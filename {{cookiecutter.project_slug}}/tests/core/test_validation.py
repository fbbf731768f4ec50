"""Each way a table can break the contract is caught and named by column and line.

The cases come from the contract: every feature's invalid values (features.py), every
feature's column removed, every nullable feature over its null share, every other one given
a null. Nothing here names a column, so the tests hold for any contract.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pandera.engines import pandas_engine

from {{ cookiecutter.package_name }} import cli
from {{ cookiecutter.package_name }}.core.contract import FEATURES, ID, TARGET
from {{ cookiecutter.package_name }}.core.features import Feature
from {{ cookiecutter.package_name }}.core.params import Params
from {{ cookiecutter.package_name }}.core.records import DataValidation
from {{ cookiecutter.package_name }}.core.validation import (
    DataValidationError,
    check_no_leakage,
    validate,
)

from ..conftest import PROJECT

INVALID = [
    pytest.param(feature, value, id=f"{feature.name}: {case}")
    for feature in FEATURES
    for case, value in feature.invalid_values().items()
]
NULLABLE = [pytest.param(f, id=f.name) for f in FEATURES if f.nullable]
# A limit of 1 (a column mostly missing in the imported table) cannot be exceeded.
EXCEEDABLE_NULLS = [pytest.param(f, id=f.name) for f in FEATURES if 0 < f.max_null_share < 1]
NOT_NULLABLE = [pytest.param(f, id=f.name) for f in FEATURES if not f.nullable]
EVERY = [pytest.param(f, id=f.name) for f in FEATURES]


def problems_of(frame: pd.DataFrame, params: Params) -> list[str]:
    with pytest.raises(DataValidationError) as caught:
        validate(frame, params.validation, "table.csv")
    return [problem.describe() for problem in caught.value.problems]


def test_valid_example_table_passes_and_is_typed(table: pd.DataFrame, params: Params) -> None:
    validated = validate(table, params.validation, "table.csv")

    assert len(validated) == len(table)
    for feature in FEATURES:
        typed = pandas_engine.Engine.dtype(validated[feature.name].dtype)
        assert feature.column().dtype.check(typed), feature.name


@pytest.mark.parametrize(("feature", "value"), INVALID)
def test_invalid_value_names_column_and_line(
    table: pd.DataFrame, params: Params, feature: Feature, value: Any
) -> None:
    table[feature.name] = table[feature.name].astype(object)
    table.loc[5, feature.name] = value

    problems = problems_of(table, params)

    assert any(f"'{feature.name}'" in problem for problem in problems), problems
    # row 5 sits on CSV line 7 (line 1 is the header), unless the whole column failed to parse
    assert any("line 7" in problem or "coerce_dtype" in problem for problem in problems)


@pytest.mark.parametrize("feature", EVERY)
def test_missing_column_is_reported(table: pd.DataFrame, params: Params, feature: Feature) -> None:
    problems = problems_of(table.drop(columns=[feature.name]), params)

    assert any(feature.name in problem for problem in problems)


def test_unexpected_column_is_rejected(table: pd.DataFrame, params: Params) -> None:
    table["an unexpected column"] = "blue"

    problems = problems_of(table, params)

    assert any("an unexpected column" in problem for problem in problems)


@pytest.mark.skipif(ID is None, reason="the contract has no id column")
def test_duplicate_ids_are_reported(table: pd.DataFrame, params: Params) -> None:
    assert ID is not None  # skipped without one
    table.loc[10, ID.name] = table[ID.name].loc[11]

    problems = problems_of(table, params)

    assert any(f"'{ID.name}'" in problem and "unique" in problem for problem in problems)


@pytest.mark.parametrize("feature", EXCEEDABLE_NULLS)
def test_null_share_above_the_contract_limit_is_reported(
    table: pd.DataFrame, params: Params, feature: Feature
) -> None:
    share = min(1.0, feature.max_null_share * 3 + 0.1)
    table[feature.name] = table[feature.name].astype(object)
    table.loc[: int(len(table) * share), feature.name] = None

    problems = problems_of(table, params)

    assert any(f"'{feature.name}'" in p and "null_share" in p for p in problems), problems


@pytest.mark.parametrize("feature", NULLABLE)
def test_a_few_nulls_in_a_nullable_column_pass(
    table: pd.DataFrame, params: Params, feature: Feature
) -> None:
    table[feature.name] = table[feature.name].astype(object)
    table.loc[:2, feature.name] = None

    validate(table, params.validation, "table.csv")


@pytest.mark.parametrize("feature", NOT_NULLABLE)
def test_a_null_in_a_column_that_allows_none_is_reported(
    table: pd.DataFrame, params: Params, feature: Feature
) -> None:
    table[feature.name] = table[feature.name].astype(object)
    table.loc[4, feature.name] = None

    problems = problems_of(table, params)

    assert any(f"'{feature.name}'" in problem for problem in problems)


def test_constant_target_breaks_the_dataset_rule_of_params_yaml(
    table: pd.DataFrame, params: Params
) -> None:
    if getattr(params.validation, "min_class_share", None) == 0:
        pytest.skip("min_class_share is 0: the import named a class the golden set cannot hold")
    # All negatives (classification: no positive share) or one value (regression: no spread).
    table[TARGET.name] = table[TARGET.name].min()

    [problem] = problems_of(table, params)

    assert f"'{TARGET.name}'" in problem
    assert "(validation in params.yaml)" in problem


def test_row_in_both_training_and_golden_set_is_reported(
    table: pd.DataFrame, unseen_table: pd.DataFrame
) -> None:
    unseen_table.iloc[0] = table.iloc[42]

    with pytest.raises(DataValidationError) as caught:
        check_no_leakage(table, unseen_table, "table.csv")

    assert "no_overlap_with_golden_set" in str(caught.value)
    assert (ID.name if ID else "golden line 2") in str(caught.value)


def test_disjoint_tables_pass_the_leakage_check(
    table: pd.DataFrame, unseen_table: pd.DataFrame
) -> None:
    # Features with small discrete domains repeat rows by chance: drop the unseen rows whose
    # feature values are in the table, so the two tables are disjoint by construction.
    names = [feature.name for feature in FEATURES]
    known = table[names].drop_duplicates()
    matched = unseen_table[names].merge(known, how="left", indicator=True)["_merge"] == "both"
    disjoint = unseen_table[~matched.to_numpy()]
    assert len(disjoint) >= 100, f"{matched.sum()} of {len(unseen_table)} unseen rows repeat"

    check_no_leakage(table, disjoint, "table.csv")


def test_data_stage_writes_no_split_and_a_report_when_data_is_bad(
    table: pd.DataFrame,
    unseen_table: pd.DataFrame,
    params: Params,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a project copy whose raw table has a value the contract refuses
    shutil.copy(PROJECT / "params.yaml", tmp_path / "params.yaml")
    monkeypatch.chdir(tmp_path)
    feature = FEATURES[0]
    table[feature.name] = table[feature.name].astype(object)
    refused: Any = next(iter(feature.invalid_values().values()))  # of any type
    table.loc[3, feature.name] = refused
    for path, frame in ((params.paths.raw, table), (params.paths.golden, unseen_table)):
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False)

    # When the data stage runs
    status = cli.main(["data"])

    # Then it stops with the status of invalid data, writes no split, and leaves a report
    assert status == 7  # DataValidationError (cli.py)
    assert not params.paths.prepared.exists()
    report = DataValidation.load(params.paths.reports / "data_validation.json")
    assert report.status == "failed"
    assert report.problems[0].column == feature.name
