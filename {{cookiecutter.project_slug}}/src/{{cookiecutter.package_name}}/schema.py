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
{%- if cookiecutter.task == "classification" %}


def target_column(rules: Validation) -> pa.Column:
    share = pa.Check(
        lambda column: rules.min_positive_share <= column.mean() <= rules.max_positive_share,
        error=(
            f"positive_share in {rules.min_positive_share:g}..{rules.max_positive_share:g} "
            "(validation in params.yaml)"
        ),
    )
    return pa.Column("int64", [pa.Check.isin([0, 1]), share], description=TARGET.description)
{%- else %}


def target_column(rules: Validation) -> pa.Column:
    spread = pa.Check(
        lambda column: column.std() >= rules.min_target_std,
        error=f"target_std>={rules.min_target_std:g} (validation in params.yaml)",
    )
    return pa.Column(
        "float64",
        [pa.Check.in_range(TARGET.minimum, TARGET.maximum), spread],
        description=TARGET.description,
    )
{%- endif %}


def customer_schema(rules: Validation) -> pa.DataFrameSchema:
    """Schema of a labelled customer table: id, every contract feature, the target."""
    columns = {
        ID_COLUMN: pa.Column("str", pa.Check.str_matches(ID_PATTERN), unique=True),
        **{feature.name: feature_column(feature) for feature in FEATURES},
        TARGET.name: target_column(rules),
    }
    return pa.DataFrameSchema(columns, strict=True, coerce=True, name="customers")
