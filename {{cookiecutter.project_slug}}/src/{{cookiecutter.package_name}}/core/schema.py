"""The pandera schema of a labelled table, derived from the feature contract.

Strict (no unknown columns), coercing (CSV text becomes the contract's types) and checked
lazily by the caller, so one run reports every broken column at once. Each column comes
from its feature's kind (features.py) and the target's task (task.py).
"""

from __future__ import annotations

import pandera.pandas as pa

from {{ cookiecutter.package_name }}.core.contract import FEATURES, ID, TARGET
from {{ cookiecutter.package_name }}.core.features import NULL_SHARE
from {{ cookiecutter.package_name }}.core.params import Validation


def table_schema(rules: Validation | None) -> pa.DataFrameSchema:
    """Schema of a labelled table: the id (if the contract has one), every feature, the target.

    `rules` are the dataset-level rules of params.yaml's `validation`; None checks each
    value of the target but not their share or spread (a batch's business, not a contract's).
    """
    columns = {
        **({ID.name: ID.column()} if ID else {}),
        **{feature.name: feature.column() for feature in FEATURES},
        TARGET.name: TARGET.task.target_column(rules),
    }
    return pa.DataFrameSchema(columns, strict=True, coerce=True, name="table")


def row_schema() -> pa.DataFrameSchema:
    """What each row to score must meet: the id's form, each feature's type, range and categories.

    The data stage's rules, less those of a whole table (the share of nulls, unique ids) and
    the target: the service judges a record alone, and so does batch scoring, whatever the
    batch's size.
    """
    schema = table_schema(None).remove_columns([TARGET.name])
    per_row: dict[str, dict[str, object]] = {
        name: {"checks": [check for check in column.checks if check.name != NULL_SHARE]}
        for name, column in schema.columns.items()
    }
    if ID:
        per_row[ID.name]["unique"] = False
    return schema.update_columns(per_row)
