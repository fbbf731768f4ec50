"""Read the prediction log and the outcomes, and join them by the contract's id, per unit.

A unit is one id. Its variant is the one the log records for it (the router's X-Variant,
else the model version); an id logged under two variants broke the sticky assignment and
is left out of every comparison, and counted. A mirrored copy (`shadow`, the router's
X-Shadow) assigns nothing: its answer reached no customer; it shows how often the variants
agree on the same id. Logs written before the log had `variant`,
`latency_ms` or the id still read: the model version stands for the variant, latency is
unknown, and rows without an id count as traffic but cannot meet an outcome.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }}.core.contract import ID
from {{ cookiecutter.package_name }}.core.params import Impact

TIME = "time"  # the outcomes file's column: when the outcome was known
UNIT = "unit"  # the id, whatever the contract calls it


class ImpactError(ValueError):
    """The log or outcomes cannot be used; the message names the file, the column and the fix."""


@dataclass(frozen=True)
class Experiment:
    """What the log and the outcomes say, per row and per unit."""

    rows: pd.DataFrame  # scored rows and failed requests: variant, error, latency_ms, score, ...
    units: pd.DataFrame  # one per id: unit, variant, first seen, outcome (NaN: none yet), pre
    crossed: int  # ids logged under more than one variant (left out of `units`)
    days: float  # from the first logged row to the last
    outcomes_until: str | None  # the latest outcome's time (ISO 8601), None without any


def log_files(log: Path) -> list[Path]:
    """The live log and its rotated files (log.1.jsonl, log.2.jsonl, ...), oldest first."""
    rotated = re.compile(rf"{re.escape(log.stem)}\.(\d+){re.escape(log.suffix)}")
    backups = sorted(
        (int(match[1]), path)
        for path in log.parent.glob(f"{log.stem}.*{log.suffix}")
        if (match := rotated.fullmatch(path.name))
    )
    files = [path for _, path in reversed(backups)]
    return [*files, log] if log.is_file() else files


def read_log(log: Path) -> pd.DataFrame:
    """Every line of the log and its rotated files, with the newer keys filled in for old rows."""
    files = log_files(log)
    if not files:
        raise ImpactError(
            f"{log}: no prediction log; serve with SERVE_PREDICTION_LOG={log} and "
            "SERVE_PREDICTION_LOG_SAMPLE=1 (every row) during the experiment, or set impact.log"
        )
    frames = []
    for path in files:
        if path.stat().st_size == 0:  # a log opened, nothing written yet
            continue
        try:
            frames.append(pd.read_json(path, lines=True, dtype=False))
        except ValueError as error:
            raise ImpactError(f"{path} is not a JSON-lines prediction log ({error})") from None
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if rows.empty or "model_version" not in rows:
        raise ImpactError(f"{log}: no logged rows with a model_version; is it a prediction log?")
    rows["model_version"] = rows["model_version"].astype(str)
    named = rows["variant"] if "variant" in rows else pd.Series(None, index=rows.index)
    rows["variant"] = named.astype(object).where(named.notna(), rows["model_version"]).astype(str)
    for column in ("error", "latency_ms"):
        if column not in rows:
            rows[column] = np.nan
    rows["shadow"] = rows["shadow"].eq(True) if "shadow" in rows else False
    rows[UNIT] = rows[ID.name] if ID and ID.name in rows else np.nan
    rows["logged_at"] = pd.to_datetime(rows["logged_at"], utc=True, format="ISO8601")
    rows["score"] = score_of(rows)
    return rows


def score_of(rows: pd.DataFrame) -> pd.Series:
    """The continuous output per row: the positive class's probability, or the value."""
    if "probability" in rows:
        return pd.to_numeric(rows["probability"], errors="coerce")
    if "prediction" in rows:
        numbers = pd.to_numeric(rows["prediction"], errors="coerce")
        if numbers.notna().any():
            return numbers
    return pd.Series(np.nan, index=rows.index)


def read_outcomes(path: Path, rules: Impact) -> pd.DataFrame:
    """The outcomes file: one row per id with a numeric outcome (and pre-period value)."""
    if ID is None:
        raise ImpactError(
            "contract.yaml has no id column: outcomes are joined to predictions by it; "
            "give the table an id column and name it in contract.yaml's id"
        )
    if not path.is_file():
        raise ImpactError(
            f"{path}: no outcomes file; write one row per id with the columns {ID.name}, "
            f"{rules.outcome} and {TIME} (CSV or Parquet), or set impact.outcomes"
        )
    try:
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except (OSError, ValueError) as error:
        raise ImpactError(f"{path} is not a readable CSV or Parquet file ({error})") from None
    wanted = [ID.name, rules.outcome, TIME, *([rules.pre_period] if rules.pre_period else [])]
    missing = [name for name in wanted if name not in frame]
    if missing:
        raise ImpactError(
            f"{path}: column(s) {', '.join(missing)} missing; it has {', '.join(map(str, frame))}. "
            "Add them, or name the columns it has in params.yaml's impact.outcome / pre_period"
        )
    frame = frame[wanted].rename(columns={ID.name: UNIT})
    for column in wanted[1:]:
        if column == TIME:
            continue
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = frame[column].notna() & values.isna()
        if bad.any():
            line = int(np.flatnonzero(bad.to_numpy())[0]) + 2  # the header is line 1
            raise ImpactError(
                f"{path}: column {column!r} must be numeric; line {line} has "
                f"{frame[column][bad].iloc[0]!r}. Write the outcome as a number (1/0 for yes/no)"
            )
        frame[column] = values
    duplicated = frame[UNIT].duplicated()
    if duplicated.any():
        raise ImpactError(
            f"{path}: id {frame[UNIT][duplicated].iloc[0]!r} has several rows; "
            "write one row per id (sum or take the latest of its outcomes first)"
        )
    frame[TIME] = pd.to_datetime(frame[TIME], utc=True, format="ISO8601")
    return frame.rename(columns={rules.outcome: "outcome", rules.pre_period or "": "pre"})


def join(rows: pd.DataFrame, outcomes: pd.DataFrame) -> Experiment:
    """One unit per id: its variant and first time in the log, with its outcome if known."""
    scored = rows[rows["error"].isna() & rows[UNIT].notna() & ~rows["shadow"]]
    variants = scored.groupby(UNIT)["variant"].agg(["nunique", "first"])
    crossed = int((variants["nunique"] > 1).sum())
    sticky = variants[variants["nunique"] == 1]["first"].rename("variant")
    first_seen = scored.groupby(UNIT)["logged_at"].min().rename("first_seen")
    units = pd.concat([sticky, first_seen], axis=1, join="inner").reset_index(names=UNIT)
    units = units.merge(outcomes.drop(columns=[TIME]), on=UNIT, how="left")
    if "pre" not in units:
        units["pre"] = np.nan
    span = rows["logged_at"].max() - rows["logged_at"].min()
    latest = outcomes[TIME].max()
    until = None if pd.isna(latest) else pd.Timestamp(latest).isoformat()
    return Experiment(rows, units, crossed, span.total_seconds() / 86_400, until)
