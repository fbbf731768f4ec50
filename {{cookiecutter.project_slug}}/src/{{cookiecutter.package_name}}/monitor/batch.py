"""Read a batch (CSV, Parquet or JSON lines) and hold it to the contract before measuring it.

Only the contract's columns are kept (the id is never needed; the target only for the
performance check), so a million-row Parquet batch costs a fraction of a second. The
columns are typed and checked by the same pandera schema as the training data: a missing
column, a wrong type, a value out of range, an unknown category or too many missing values
is bad input, named column by column, not drift.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.errors
import pyarrow.json
import pyarrow.parquet
from pandera.pandas import DataFrameSchema

from {{ cookiecutter.package_name }}.contract import ID, TARGET, feature_names
from {{ cookiecutter.package_name }}.schema import table_schema
from {{ cookiecutter.package_name }}.validation import problems_from

FORMATS = {".csv": "CSV", ".parquet": "Parquet", ".jsonl": "JSON lines"}  # by file suffix
SUFFIXES = "a .csv, .parquet or .jsonl file (JSON lines: the service's prediction log)"


class BatchError(ValueError):
    """The batch cannot be measured; the message names each problem and its fix."""


def batch_schema() -> DataFrameSchema:
    """The training data's schema without the id column, and with an optional target.

    Only the target's values are checked: a batch's share of positives or spread of values
    is the population's business, not a broken contract.
    """
    schema = table_schema(None).update_column(TARGET.name, required=False)
    return schema.remove_columns([ID.name]) if ID else schema


def load(path: Path, wanted: list[str]) -> pd.DataFrame:
    """Those of the wanted columns the file has, and only those (Parquet and CSV read no more)."""
    if path.suffix == ".parquet":
        names = pyarrow.parquet.read_schema(path).names
        return pd.read_parquet(path, columns=[name for name in wanted if name in names])
    if path.suffix == ".jsonl":
        table = pyarrow.json.read_json(path)
        kept = table.select([name for name in wanted if name in table.column_names])
        frame: pd.DataFrame = kept.to_pandas()
        return frame
    names = pd.read_csv(path, nrows=0).columns
    return pd.read_csv(path, engine="pyarrow", usecols=[name for name in wanted if name in names])


def read(path: Path) -> pd.DataFrame:
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


def check(frame: pd.DataFrame, source: str, missing: list[str]) -> pd.DataFrame:
    """Return the frame typed as the contract says, or raise naming every broken column."""
    problems = [f"{source}: column {name!r} is missing" for name in missing]
    typed = frame
    if len(frame) == 0:
        problems.append(f"{source}: no rows, only a header")
    else:
        try:
            typed = batch_schema().remove_columns(missing).validate(frame, lazy=True)
        except pandera.errors.SchemaErrors as error:
            problems += [problem.describe() for problem in problems_from(error, source)]
    if not problems:
        return typed
    lines = "\n".join(f"  - {problem}" for problem in problems)
    optional = f"{ID.name} and {TARGET.name} are" if ID else f"{TARGET.name} is"
    raise BatchError(
        f"the data breaks the feature contract ({len(problems)} problem(s)):\n{lines}\n"
        f"Fix it at the source: every feature in contract.py is required ({optional} "
        f"optional), with the type, range and categories contract.py gives. "
        "If the data is right, change contract.py."
    )
