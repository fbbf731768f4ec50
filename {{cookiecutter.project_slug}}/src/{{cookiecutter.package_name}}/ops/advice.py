"""Why a column cannot be a feature as it is, and the fix that fits what it holds.

A text column with more distinct values than the category cap is refused; what to do
depends on what the values are:
- numbers but for a few cells ("cancelled", "n/a"): those values are named; clean them
  (leave the cells empty) or leave the column out;
- dates or times: a model cannot use one as it is; derive features from it or leave it out;
- a different value in every row: it names the rows, so it is the id (ID=);
- anything else is free text: leave it out, group its values, or raise the cap.
"""

from __future__ import annotations

import datetime
import json
import warnings

import pandas as pd

READS_AS = 0.9  # a text column whose values read as numbers (dates) this often holds them
SHOWN = 5  # non-numbers named in a refusal


def drop(name: str) -> str:
    """How to leave the column out: DROP= takes a JSON list when a name holds a comma."""
    if "," in name:
        return f"DROP='{json.dumps([name], ensure_ascii=False)}'"
    return f"DROP={name!r}"


def holds_dates(values: pd.Series) -> bool:
    """Timestamps, or dates as the CSV reader gives them (Python date objects)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return True
    present = values.dropna()
    return (
        values.dtype == object
        and bool(len(present))
        and all(isinstance(value, datetime.date) for value in present.head(100))
    )


def numbers_in_text(present: pd.Series) -> pd.Series:
    """The values as numbers (NaN where a value is not one)."""
    return pd.to_numeric(present.astype(str).str.strip(), errors="coerce")


def dates_in_text(present: pd.Series) -> pd.Series:
    """The values as timestamps (NaT where a value is not a date), any common form."""
    with warnings.catch_warnings():  # pandas warns when it guesses a format per value
        warnings.simplefilter("ignore")
        return pd.to_datetime(present.astype(str), errors="coerce", format="mixed")


def too_many_texts(name: str, present: pd.Series, cap: int) -> str:
    """The refusal of a text column with more than `cap` distinct values."""
    distinct = present.nunique()
    numbers = numbers_in_text(present)
    if numbers.notna().mean() >= READS_AS:
        others = present[numbers.isna()].astype(str).value_counts()
        shown = ", ".join(f"{value!r} ({count} rows)" for value, count in others[:SHOWN].items())
        more = f" and {len(others) - SHOWN} more" if len(others) > SHOWN else ""
        return (
            f"column {name!r} holds numbers written as text: {others.sum()} cells are not "
            f"numbers: {shown}{more}; leave those cells empty in the table (a missing "
            f"value) so that it reads as numbers, or leave the column out ({drop(name)})"
        )
    if dates_in_text(present).notna().mean() >= READS_AS:
        return dates(name, f"e.g. {str(present.iloc[0])!r}")
    if distinct == len(present):
        return (
            f"column {name!r} holds a different text in every row ({distinct}): if it names "
            f"each row pass ID={name!r} (it is kept out of the model), otherwise leave it "
            f"out ({drop(name)})"
        )
    return (
        f"column {name!r} holds {distinct} distinct texts, more than {cap} categories: "
        f"leave it out ({drop(name)}), group its values into fewer, or raise the cap "
        f"(MAX_CATEGORIES={distinct})"
    )


def dates(name: str, seen: str) -> str:
    """The refusal of a column of dates or times."""
    return (
        f"column {name!r} holds dates ({seen}): a model cannot use a date as it is; derive "
        "features from it in the table (day of week, month, days since an event) or leave "
        f"it out ({drop(name)})"
    )
