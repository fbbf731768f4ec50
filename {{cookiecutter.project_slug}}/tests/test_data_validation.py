"""Each way a table can break the contract is caught and named by column and line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }} import data
from {{ cookiecutter.package_name }}.contract import ID_COLUMN, TARGET
from {{ cookiecutter.package_name }}.params import Params
from {{ cookiecutter.package_name }}.validation import (
    DataValidationError,
    check_no_leakage,
    validate,
)

from .conftest import PROJECT


def problems_of(frame: pd.DataFrame, params: Params) -> list[str]:
    with pytest.raises(DataValidationError) as caught:
        validate(frame, params.validation, "customers.csv")
    return [problem.describe() for problem in caught.value.problems]


def test_valid_sample_passes_and_is_typed(customers, params):
    validated = validate(customers, params.validation, "customers.csv")

    assert len(validated) == len(customers)
    assert validated["tenure_months"].dtype == np.int64


def test_out_of_range_value_names_column_and_line(customers, params):
    customers.loc[5, "tenure_months"] = 999

    [problem] = problems_of(customers, params)

    assert "'tenure_months'" in problem
    assert "in_range" in problem
    assert "line 7 = 999" in problem  # row 5 sits on CSV line 7 (line 1 is the header)


def test_unknown_category_is_reported(customers, params):
    customers.loc[3, "contract"] = "weekly"

    [problem] = problems_of(customers, params)

    assert "'contract'" in problem
    assert "'weekly'" in problem


def test_text_in_a_numeric_column_is_reported(customers, params):
    customers["age"] = customers["age"].astype(object)
    customers.loc[0, "age"] = "forty"

    problems = problems_of(customers, params)

    assert any("'age'" in problem and "forty" in problem for problem in problems)


def test_missing_column_is_reported(customers, params):
    problems = problems_of(customers.drop(columns=["support_calls"]), params)

    assert any("support_calls" in problem for problem in problems)


def test_unexpected_column_is_rejected(customers, params):
    customers["favourite_colour"] = "blue"

    problems = problems_of(customers, params)

    assert any("favourite_colour" in problem for problem in problems)


def test_duplicate_ids_are_reported(customers, params):
    customers.loc[10, ID_COLUMN] = customers.loc[11, ID_COLUMN]

    problems = problems_of(customers, params)

    assert any(f"'{ID_COLUMN}'" in problem and "unique" in problem for problem in problems)


def test_null_share_above_the_contract_limit_is_reported(customers, params):
    customers.loc[: len(customers) // 10, "monthly_charges"] = np.nan  # 10% > 2% allowed

    [problem] = problems_of(customers, params)

    assert "'monthly_charges'" in problem
    assert "null_share" in problem


def test_nulls_in_a_column_that_allows_none_are_reported(customers, params):
    customers["contract"] = customers["contract"].astype(object)
    customers.loc[4, "contract"] = None

    problems = problems_of(customers, params)

    assert any("'contract'" in problem for problem in problems)


def test_constant_target_breaks_the_dataset_rule_of_params_yaml(customers, params):
    # All negatives (classification: no positive share) or one value (regression: no spread).
    customers[TARGET.name] = customers[TARGET.name].min()

    [problem] = problems_of(customers, params)

    assert f"'{TARGET.name}'" in problem
    assert "(validation in params.yaml)" in problem


def test_customer_in_both_training_and_golden_set_is_reported(customers, unseen_customers):
    unseen_customers.loc[0, ID_COLUMN] = customers.loc[42, ID_COLUMN]

    with pytest.raises(DataValidationError) as caught:
        check_no_leakage(customers, unseen_customers, "customers.csv")

    assert customers.loc[42, ID_COLUMN] in str(caught.value)


def test_data_stage_writes_no_split_and_a_report_when_data_is_bad(
    customers, unseen_customers, tmp_path, monkeypatch
):
    # Given a project copy whose raw table has an impossible age
    shutil.copy(PROJECT / "params.yaml", tmp_path / "params.yaml")
    monkeypatch.chdir(tmp_path)
    customers.loc[3, "age"] = -4
    Path("data/raw").mkdir(parents=True)
    Path("data/golden").mkdir(parents=True)
    customers.to_csv("data/raw/customers.csv", index=False)
    unseen_customers.to_csv("data/golden/golden.csv", index=False)

    # When the data stage runs
    with pytest.raises(SystemExit) as stopped:
        data.main()

    # Then it stops naming the column, writes no split, and leaves a report
    assert "'age'" in str(stopped.value)
    assert not Path("data/prepared").exists()
    report = json.loads(Path("reports/data_validation.json").read_text())
    assert report["status"] == "failed"
    assert report["problems"][0]["column"] == "age"
