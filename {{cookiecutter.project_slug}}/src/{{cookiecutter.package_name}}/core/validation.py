"""Validate labelled tables and explain every failure by column, check and row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.errors

from {{ cookiecutter.package_name }}.core.contract import ID, feature_names
from {{ cookiecutter.package_name }}.core.params import Validation
from {{ cookiecutter.package_name }}.core.records import Problem
from {{ cookiecutter.package_name }}.core.schema import table_schema

EXAMPLES_PER_PROBLEM = 5


class DataValidationError(ValueError):
    """The data breaks the contract; `problems` says where, for the report file."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {problem.describe()}" for problem in problems)
        super().__init__(
            f"data validation failed ({len(problems)} problem(s)):\n{lines}\n"
            "Fix those rows at the source, or change the rule in contract.yaml "
            "(ranges, categories, null shares) or params.yaml (validation) if the data is right."
        )


def problems_from(error: pandera.errors.SchemaErrors, source: str) -> list[Problem]:
    """The failure cases pandera reports, as one Problem per column and check, no repeats."""
    cases = error.failure_cases
    problems: list[Problem] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for (column, check), group in cases.groupby(["column", "check"], dropna=False, sort=False):
        with_rows = group[group["index"].notna()]
        examples = [
            f"line {int(row['index']) + 2} = {row['failure_case']!r}"
            for _, row in with_rows.head(EXAMPLES_PER_PROBLEM).iterrows()
        ]
        first = group["failure_case"].iloc[0]
        if not examples and pd.notna(first) and not pd.api.types.is_bool(first):
            examples = [str(first)]
        name = str(column) if pd.notna(column) else str(first)
        if str(first).startswith("TypeError(") or (name, tuple(examples)) in seen:
            continue  # a check that could not run on a column whose type already failed
        seen.add((name, tuple(examples)))
        problems.append(Problem(source, name, str(check), len(with_rows), examples))
    return problems


def validate(frame: pd.DataFrame, rules: Validation, source: str) -> pd.DataFrame:
    """Return the frame coerced to the contract's types, or raise naming every problem."""
    try:
        return table_schema(rules).validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as error:
        raise DataValidationError(problems_from(error, source)) from None


def row_keys(frame: pd.DataFrame) -> pd.Series:
    """What identifies a row: its id, or without one a hash of its feature values."""
    if ID:
        return frame[ID.name].astype(str)
    return pd.util.hash_pandas_object(frame[feature_names()], index=False)


def check_no_leakage(training: pd.DataFrame, golden: pd.DataFrame, source: str) -> None:
    """The golden set must be unseen: no id, or without ids no row of features, in both tables."""
    seen = set(row_keys(training))
    keys = row_keys(golden)
    shared = [row for row, key in enumerate(keys) if key in seen]
    if not shared:
        return
    if ID:
        column, examples = ID.name, [str(keys.iloc[row]) for row in shared]
    else:
        column, examples = "(all features)", [f"golden line {row + 2}" for row in shared]
    problem = Problem(
        source, column, "no_overlap_with_golden_set", len(shared), examples[:EXAMPLES_PER_PROBLEM]
    )
    raise DataValidationError([problem])


def read_csv(path: Path) -> pd.DataFrame:
    """Read a table as text-typed columns, leaving typing to the schema."""
    if not Path(path).is_file():
        raise FileNotFoundError(
            f"{path} not found: run `make repro` to generate the sample data, "
            "or put your own table there (see README, 'Bring your own data')"
        )
    return pd.read_csv(path, engine="pyarrow")
