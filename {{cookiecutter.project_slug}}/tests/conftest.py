"""Shared fixtures: the project's params and small, deterministic customer tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.params import Params, load_params
from {{ cookiecutter.package_name }}.sample_data import generate

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def params() -> Params:
    return load_params(PROJECT / "params.yaml")


@pytest.fixture
def customers() -> pd.DataFrame:
    """2,000 valid labelled customers (a fresh copy per test, free to corrupt)."""
    return generate(rows=2000, seed=7)


@pytest.fixture
def unseen_customers() -> pd.DataFrame:
    """1,000 customers from another seed and id range: a stand-in golden set."""
    return generate(rows=1000, seed=8, id_prefix="G")
