"""Shared fixtures: the project's params and small, deterministic tables made from the contract."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import pandas as pd

    from {{ cookiecutter.package_name }}.core.params import Params

# The fixtures import what they build with: pytest-xdist's controller loads this file too,
# before it starts the workers, and has no use for pandas, scikit-learn or skl2onnx (~3 s).

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def params() -> Params:
    from {{ cookiecutter.package_name }}.core.params import load_params

    return load_params(PROJECT / "params.yaml")


@pytest.fixture(scope="session")
def example_rows(params: Params) -> pd.DataFrame:
    """2,000 valid labelled rows, made once per session (tests get copies)."""
    from .contract_data import example_table

    return example_table(rows=2000, seed=7, rules=params.validation)


@pytest.fixture(scope="session")
def unseen_rows(params: Params) -> pd.DataFrame:
    """1,000 rows from another seed and id range, made once per session."""
    from .contract_data import example_table

    return example_table(rows=1000, seed=8, rules=params.validation, id_prefix="G")


@pytest.fixture
def table(example_rows: pd.DataFrame) -> pd.DataFrame:
    """2,000 valid labelled rows (a fresh copy per test, free to corrupt)."""
    return example_rows.copy()


@pytest.fixture
def unseen_table(unseen_rows: pd.DataFrame) -> pd.DataFrame:
    """1,000 rows from another seed and id range: a stand-in golden set."""
    return unseen_rows.copy()


@pytest.fixture(scope="session")
def trained_model_path(
    params: Params, example_rows: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A model trained on 2,000 example rows with the project's params, saved with skops."""
    from {{ cookiecutter.package_name }}.core.model import save
    from {{ cookiecutter.package_name }}.pipeline.train import train

    path = tmp_path_factory.mktemp("model") / "model.skops"
    save(train(example_rows.copy(), params.model), path)
    return path


@pytest.fixture(scope="session")
def serving_dir(
    params: Params, trained_model_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """That model exported for serving (ONNX when parity holds), with its metadata."""
    from {{ cookiecutter.package_name }}.pipeline.export import export

    from .contract_data import example_table
    from .records_data import serving_details

    out = tmp_path_factory.mktemp("serving") / "serving"
    golden = example_table(rows=500, seed=8, rules=params.validation, id_prefix="G")
    export(
        trained_model_path,
        golden,
        out,
        kind=params.model,
        rules=params.export,
        details=serving_details(version="test"),
    )
    return out
