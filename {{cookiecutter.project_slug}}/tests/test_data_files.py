"""The project's own tables satisfy the contract (run `make repro` first for the raw data)."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.validation import (
    check_no_leakage,
    read_csv,
    validate,
)

from .conftest import PROJECT


@pytest.fixture(scope="module")
def golden(params):
    return read_csv(PROJECT / params.paths.golden)


@pytest.fixture(scope="module")
def raw(params):
    return read_csv(PROJECT / params.paths.raw)


def test_golden_set_satisfies_the_contract(golden, params):
    validate(golden, params.validation, str(params.paths.golden))


def test_training_data_satisfies_the_contract(raw, params):
    validate(raw, params.validation, str(params.paths.raw))


def test_golden_set_shares_no_customer_with_training_data(raw, golden, params):
    check_no_leakage(raw, golden, str(params.paths.raw))
