"""The pandera schema of a customer table, derived from the feature contract.

Strict (no unknown columns), coercing (CSV text becomes the contract's types) and checked
lazily by the caller, so one run reports every broken column at once.
"""

from __future__ import annotations

import pandera.pandas as pa

from {{ cookiecutter.package_name }}.contract import (
    FEATURES,
    ID_COLUMN,
    ID_PATTERN,
    TARGET,
    BooleanFeature,
    CategoricalFeature,
    Feature,
    NumericFeature,
)
from {{ cookiecutter.package_name }}.params import Validation

NUMERIC_DTYPES = {"int": "int64", "float": "float64"}


def null_share_at_most(limit: float) -> pa.Check:
    return pa.Check(
        lambda column: column.isna().mean() <= limit,
        ignore_na=False,
        error=f"null_share<={limit:g} (more than {limit:.1%} of the values are missing)",
    )


def feature_column(feature: Feature) -> pa.Column:
    checks: list[pa.Check] = []
    if isinstance(feature, NumericFeature):
        dtype = NUMERIC_DTYPES[feature.dtype]
        checks.append(pa.Check.in_range(feature.minimum, feature.maximum))
    elif isinstance(feature, CategoricalFeature):
        dtype = "str"
        checks.append(pa.Check.isin(feature.categories))
    elif isinstance(feature, BooleanFeature):
        dtype = "bool"
    if feature.max_null_share > 0:
        checks.append(null_share_at_most(feature.max_null_share))
    return pa.Column(
        dtype,
        checks,
        nullable=feature.max_null_share > 0,
        description=feature.description,
    )


def customer_schema(rules: Validation | None) -> pa.DataFrameSchema:
    """Schema of a labelled customer table: id, every contract feature, the target.

    `rules` are the dataset-level rules of params.yaml's `validation`; None checks each
    value of the target but not their share or spread (a batch's business, not a contract's).
    """
    columns = {
        ID_COLUMN: pa.Column("str", pa.Check.str_matches(ID_PATTERN), unique=True),
        **{feature.name: feature_column(feature) for feature in FEATURES},
        TARGET.name: TARGET.task.target_column(rules),
    }
    return pa.DataFrameSchema(columns, strict=True, coerce=True, name="customers")
