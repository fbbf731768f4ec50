"""Read a batch (CSV, Parquet or JSON lines) as it comes, and tell bad input from drift.

Only the contract's columns are kept (the id is never needed; the target only for the
performance check, and any of its rows may be unlabelled), so a million-row Parquet batch
costs a fraction of a second. Two kinds of problem are told apart:
- bad input, which stops the check: an unreadable file, a missing feature column, no rows,
  or values of a type the contract's cannot be made of (text in a number column);
- values outside the contract, which are what drift looks like: numbers out of range,
  unknown categories, more missing values than the contract allows. They are kept and
  measured, and counted per column (`Outside`) for the reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.errors
import pyarrow.compute
import pyarrow.json
import pyarrow.parquet
from pandera.pandas import DataFrameSchema

from {{ cookiecutter.package_name }}.core.contract import ID, TARGET, feature_names
from {{ cookiecutter.package_name }}.core.records import Outside
from {{ cookiecutter.package_name }}.core.schema import table_schema
from {{ cookiecutter.package_name }}.core.validation import problems_from

FORMATS = {".csv": "CSV", ".parquet": "Parquet", ".jsonl": "JSON lines"}  # by file suffix
SUFFIXES = "a .csv, .parquet or .jsonl file (JSON lines: the service's prediction log)"
# What each of the contract's value checks means in a batch (pandera names checks so).
OUTSIDE = {
    "in_range": "out of range",
    "isin": "unknown category",
    "not_nullable": "missing (never missing in the training data)",
}
TOO_MANY_MISSING = "missing, beyond the contract's share and its sampling noise"


class BatchError(ValueError):
    """The batch cannot be measured; the message names each problem and its fix."""


@dataclass(frozen=True)
class Batch:
    """The batch's features typed as the contract says, and its target column as it came."""

    frame: pd.DataFrame
    outside: list[Outside]


def batch_schema() -> DataFrameSchema:
    """The training data's schema for the features only: types, ranges, categories, nulls.

    The id is not needed, and the target is read as it comes (labels in the table's own
    form, some rows unlabelled): drift.py turns it into what the metrics take.
    """
    schema = table_schema(None).remove_columns([TARGET.name])
    return schema.remove_columns([ID.name]) if ID else schema


def type_schema() -> DataFrameSchema:
    """batch_schema with the types only: what a batch must meet to be measured at all."""
    loose = {name: {"checks": [], "nullable": True} for name in feature_names()}
    return batch_schema().update_columns(loose)


def load(path: Path, wanted: list[str]) -> pd.DataFrame:
    """Those of the wanted columns the file has, and only those (Parquet and CSV read no more)."""
    if path.suffix == ".parquet":
        names = pyarrow.parquet.read_schema(path).names
        return pd.read_parquet(path, columns=[name for name in wanted if name in names])
    if path.suffix == ".jsonl":
        table = pyarrow.json.read_json(path)
        if "error" in table.column_names:  # a request the service failed: no features
            table = table.filter(pyarrow.compute.is_null(table["error"]))
        kept = table.select([name for name in wanted if name in table.column_names])
        frame: pd.DataFrame = kept.to_pandas()
        return frame
    names = pd.read_csv(path, nrows=0).columns
    return pd.read_csv(path, engine="pyarrow", usecols=[name for name in wanted if name in names])


def read(path: Path) -> Batch:
    """Read what the contract needs from a batch file, or raise naming every problem."""
    if path.suffix not in FORMATS:
        raise BatchError(f"{path}: unsupported file type {path.suffix!r}: give {SUFFIXES}")
    if not path.is_file():
        raise BatchError(f"{path} not found")
    try:
        frame = load(path, [*feature_names(), TARGET.name])
    except (OSError, ValueError) as error:
        kind = FORMATS[path.suffix]
        raise BatchError(f"{path} is not a readable {kind} file ({error})") from None
    missing = [name for name in feature_names() if name not in frame.columns]
    return check(frame, str(path), missing)


def check(frame: pd.DataFrame, source: str, missing: list[str]) -> Batch:
    """The frame typed as the contract says, and what lies outside it.

    Raises naming every column that cannot be measured. A batch within the contract is
    validated once; only one outside it is validated again, for its types alone.
    """
    problems = [f"{source}: column {name!r} is missing" for name in missing]
    features = frame.drop(columns=[TARGET.name], errors="ignore")
    if len(frame) == 0:
        problems.append(f"{source}: no rows, only a header")
    else:
        try:
            typed, outside = (
                batch_schema().remove_columns(missing).validate(features, lazy=True),
                [],
            )
        except pandera.errors.SchemaErrors:
            try:
                typed = type_schema().remove_columns(missing).validate(features, lazy=True)
            except pandera.errors.SchemaErrors as error:
                problems += [problem.describe() for problem in problems_from(error, source)]
            else:
                outside = outside_contract(typed, source)
    if not problems:
        if TARGET.name in frame:
            typed[TARGET.name] = frame[TARGET.name]
        return Batch(typed, outside)
    lines = "\n".join(f"  - {problem}" for problem in problems)
    optional = f"{ID.name} and {TARGET.name} are" if ID else f"{TARGET.name} is"
    raise BatchError(
        f"the batch cannot be measured ({len(problems)} problem(s)):\n{lines}\n"
        f"Every feature in contract.yaml is required ({optional} optional), of the type "
        "contract.yaml gives; values out of range or unknown categories are measured as drift."
    )


def outside_contract(typed: pd.DataFrame, source: str) -> list[Outside]:
    """Per column and check, the rows whose values the contract's checks refuse."""
    try:
        batch_schema().validate(typed, lazy=True)
    except pandera.errors.SchemaErrors as error:
        found = []
        for problem in problems_from(error, source):
            what = next((w for key, w in OUTSIDE.items() if problem.check.startswith(key)), None)
            if problem.check.startswith("null_share"):  # a whole-column check: count the nulls
                found.append(
                    Outside(
                        problem.column, TOO_MANY_MISSING, int(typed[problem.column].isna().sum())
                    )
                )
            elif what is not None:
                found.append(Outside(problem.column, what, problem.rows, problem.examples))
        return found
    return []
