"""Score one Arrow record batch: rows within the contract are scored, the others quarantined.

Every engine calls `score_record_batch` (the `score` command per batch read, Spark per
partition), so the output's schema and values are the same from each. A row is held to the
data stage's pandera rules (core/schema.py `row_schema`: type, range, categories, nulls
where the contract allows them), one row at a time as the service does: a number of the
wrong type, an unknown category or a null where none is allowed sends the row to the
quarantine batch with its reasons; a missing column stops the run, naming it. Good rows go
through the exported model in the service's runtime (scoring/runtime.py), nulls imputed by
the model exactly as a request's nulls are.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import pandas as pd
import pandera.errors
import pyarrow as pa
import pyarrow.compute as pc

from {{ cookiecutter.package_name }}.core.contract import FEATURES, ID
from {{ cookiecutter.package_name }}.core.features import Feature, NumericFeature
from {{ cookiecutter.package_name }}.core.schema import row_schema
from {{ cookiecutter.package_name }}.scoring.columns import (
    prediction_arrays,
    prediction_fields,
)

if TYPE_CHECKING:
    from {{ cookiecutter.package_name }}.scoring.runtime import ServingModel

SOURCE = "source"  # quarantine: the file (or query) the row came from
ROW = "row"  # quarantine: the row's number in it, from 1 (a CSV's line is row + 1)
REASON = "reason"  # quarantine: every rule the row breaks, "column: rule (value)"
# Text a boolean column may hold, as pyarrow's CSV reader and pandas read it.
BOOLEANS = {"true": True, "True": True, "TRUE": True, "1": True}
BOOLEANS |= {"false": False, "False": False, "FALSE": False, "0": False}
MEANINGS = {  # what a pandera check means for a row, by the start of its name
    "coerce_dtype": "wrong type",
    "in_range": "out of range",
    "isin": "unknown category",
    "not_nullable": "missing",
    "str_matches": "does not match the pattern",
}
VALUE_CHARS = 60  # longest value shown in a reason
ROW_SCHEMA = cache(row_schema)  # built once: every batch is held to the same rules


class ScoreInputError(ValueError):
    """The input cannot be scored at all (a column missing, an unreadable file): the fix."""


@dataclass(frozen=True)
class Scorer:
    """The serving model, and the version and run that every output row names."""

    model: ServingModel
    version: str
    run_id: str


def input_columns() -> list[str]:
    """The columns a batch must have: the contract's id (if any) and every feature."""
    return [*([ID.name] if ID else []), *(feature.name for feature in FEATURES)]


def feature_type(feature: Feature) -> pa.DataType:
    """A feature's column in the output, typed as the contract says (nulls allowed)."""
    if isinstance(feature, NumericFeature):
        return pa.int64() if feature.dtype == "int" else pa.float64()
    return pa.string() if feature.kind == "categorical" else pa.bool_()


def scored_schema() -> pa.Schema:
    """The scored rows: the id, the features as validated, the prediction, version and run."""
    kept = [pa.field(ID.name, pa.string(), nullable=False)] if ID else []
    kept += [pa.field(feature.name, feature_type(feature)) for feature in FEATURES]
    return pa.schema([*kept, *prediction_fields()])


def quarantine_schema() -> pa.Schema:
    """The refused rows: where each came from, why, and its values as text, as they came."""
    where = [pa.field(SOURCE, pa.string()), pa.field(ROW, pa.int64())]
    values = [pa.field(name, pa.string()) for name in input_columns()]
    return pa.schema([*where, pa.field(REASON, pa.string()), *values])


def require_columns(names: list[str], source: str) -> None:
    """Stop, naming them, when the input lacks columns the contract needs."""
    missing = [name for name in input_columns() if name not in names]
    if missing:
        listed = ", ".join(repr(name) for name in missing)
        raise ScoreInputError(
            f"{source}: column(s) {listed} missing. Every feature of contract.yaml is needed"
            f"{f', and the id {ID.name!r}' if ID else ''}; rename the columns at the source "
            "or in the query (other columns are ignored)"
        )


def as_values(values: pd.Series, feature: Feature) -> pd.Series:
    """Numbers and flags written as text (a CSV's, or a wrong-typed column), as values.

    What is no number or flag, and a fraction where the contract wants a whole number, is
    kept as text, for the schema to refuse in its own row (pandera refuses a column of
    numbers with one fraction as a whole, naming no row).
    """
    text = values.dtype == object or pd.api.types.is_string_dtype(values)
    if feature.kind == "categorical" or (not text and feature.kind == "boolean"):
        return values
    if isinstance(feature, NumericFeature):
        parsed: pd.Series = pd.to_numeric(values, errors="coerce") if text else values
    else:  # text, or Python's own booleans (an object column with nulls)
        parsed = values.map(lambda value: BOOLEANS.get(value) if isinstance(value, str) else value)
    refused = values.notna() & parsed.isna()
    whole = pd.api.types.is_integer_dtype(parsed)  # nothing to check
    if isinstance(feature, NumericFeature) and feature.dtype == "int" and not whole:
        refused |= parsed.notna() & (parsed.astype("float64") % 1 != 0)
    if not refused.any():
        return parsed
    kept = parsed.astype(object)
    kept[refused] = values[refused].astype(str)
    return kept


def shown(value: object) -> str:
    """A refused value in a reason, shortened."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"


def row_failures(error: pandera.errors.SchemaErrors) -> dict[int, list[str]]:
    """Per row (position in the batch), each rule it breaks: "column: what, rule (value)"."""
    found: dict[int, list[str]] = defaultdict(list)
    for case in error.failure_cases.itertuples(index=False):
        check = str(case.check)
        if pd.isna(case.index) or check.startswith("dtype("):  # dtype repeats coerce_dtype
            continue
        meaning = next((text for key, text in MEANINGS.items() if check.startswith(key)), "")
        rule = f"{meaning}, {check}" if meaning else check
        found[int(case.index)].append(f"{case.column}: {rule} ({shown(case.failure_case)})")
    return found


def validated(frame: pd.DataFrame, source: str) -> tuple[pd.DataFrame, dict[int, list[str]]]:
    """The rows within the contract (typed by it), and the others' reasons by position.

    A column that fails to convert hides its other checks, so the rows left are checked
    again until none fails.
    """
    schema = ROW_SCHEMA()
    reasons: dict[int, list[str]] = {}
    while True:
        try:
            return schema.validate(frame.drop(index=list(reasons)), lazy=True), reasons
        except pandera.errors.SchemaErrors as error:
            found = row_failures(error)
            if not found:
                raise ScoreInputError(f"{source}: {error.args[0]}") from None
            reasons |= found


def as_text(column: pa.Array) -> pa.Array:
    """A column as it came, as text: what the quarantine shows of a refused row."""
    try:
        return pc.cast(column, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.array([None if v is None else str(v) for v in column.to_pylist()], pa.string())


def quarantined(
    batch: pa.RecordBatch, reasons: dict[int, list[str]], source: str, first_row: int
) -> pa.RecordBatch:
    """The refused rows of the batch, with their reasons, in the batch's order."""
    rows = sorted(reasons)
    taken = batch.take(pa.array(rows, pa.int64()))
    return pa.RecordBatch.from_arrays(
        [
            pa.array([source] * len(rows), pa.string()),
            pa.array([first_row + row + 1 for row in rows], pa.int64()),
            pa.array(["; ".join(reasons[row]) for row in rows], pa.string()),
            *(as_text(taken.column(name)) for name in input_columns()),
        ],
        schema=quarantine_schema(),
    )


def scored(typed: pd.DataFrame, scorer: Scorer) -> pa.RecordBatch:
    """The good rows with their predictions, in scored_schema()."""
    schema = scored_schema()
    predictions = scorer.model.predict({feature.name: typed[feature.name] for feature in FEATURES})
    kept = [
        pa.array(typed[field.name], field.type, from_pandas=True)
        for field in schema
        if field.name in typed.columns
    ]
    arrays = [*kept, *prediction_arrays(predictions, scorer.version, scorer.run_id)]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def score_record_batch(
    batch: pa.RecordBatch, scorer: Scorer, *, source: str = "", first_row: int = 0
) -> tuple[pa.RecordBatch, pa.RecordBatch]:
    """The batch's scored rows (scored_schema) and refused ones (quarantine_schema).

    `source` names the input in messages and the quarantine; `first_row` is the position of
    the batch's first row in it, so quarantined rows are numbered as the file has them.
    Columns other than the id and the features are ignored. Raises ScoreInputError when a
    column is missing or a problem is not one of rows.
    """
    require_columns(batch.schema.names, source)
    picked = batch.select(input_columns())
    frame: pd.DataFrame = picked.to_pandas()
    for feature in FEATURES:
        frame[feature.name] = as_values(frame[feature.name], feature)
    typed, reasons = validated(frame, source) if len(frame) else (frame, {})
    good = scored(typed, scorer) if len(typed) else empty(scored_schema())
    return good, quarantined(picked, reasons, source, first_row)


def empty(schema: pa.Schema) -> pa.RecordBatch:
    """A batch of no rows: what an empty input, or one whose every row failed, gives."""
    return pa.RecordBatch.from_pylist([], schema=schema)
