"""DVC stage `data`: validate the raw table and the golden set, then split train/test.

Nothing is written unless every check passes; the full list of problems goes to
reports/data_validation.json either way, so CI can upload it.
"""

from __future__ import annotations

import argparse
import logging

import pandas as pd
from sklearn.model_selection import train_test_split

from {{ cookiecutter.package_name }}.core.contract import TARGET
from {{ cookiecutter.package_name }}.core.files import write_atomically, write_json
from {{ cookiecutter.package_name }}.core.params import Params, Split, load_params
from {{ cookiecutter.package_name }}.core.records import DataValidation
from {{ cookiecutter.package_name }}.core.validation import (
    DataValidationError,
    check_no_leakage,
    read_csv,
    validate,
)

log = logging.getLogger(__name__)


def split(frame: pd.DataFrame, rules: Split) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out a test share; reproducible by seed, stratified by a label (classification)."""
    train, test = train_test_split(
        frame,
        test_size=rules.test_size,
        random_state=rules.seed,
        stratify=TARGET.task.stratify(frame),
    )
    return train.reset_index(drop=True), test.reset_index(drop=True)


def prepare(params: Params) -> dict[str, object]:
    """Validate both tables, check they share no customer, write the split; return a summary."""
    paths = params.paths
    log.info(f"data: validating {paths.raw} and {paths.golden} against the contract")
    raw = read_csv(paths.raw)
    golden = read_csv(paths.golden)
    problems = []
    for name, table in (("raw", raw), ("golden", golden)):
        source = str(getattr(paths, name))
        try:
            validated = validate(table, params.validation, source)
        except DataValidationError as error:
            problems.extend(error.problems)
            continue
        if name == "raw":
            raw = validated
        else:
            golden = validated
    if problems:
        raise DataValidationError(problems)
    check_no_leakage(raw, golden, str(paths.raw))

    log.info(f"data: {len(raw):,} rows and {len(golden):,} golden rows valid; splitting")
    train, test = split(raw, params.split)
    for name, table in (("train", train), ("test", test)):
        write_atomically(paths.prepared / f"{name}.parquet", table.to_parquet)
    return {
        "rows": {"raw": len(raw), "train": len(train), "test": len(test), "golden": len(golden)},
        TARGET.task.summary_key: {
            "train": TARGET.task.summary(train[TARGET.name]),
            "golden": TARGET.task.summary(golden[TARGET.name]),
        },
    }


def run(args: argparse.Namespace) -> int:
    """The data stage: the report is written whether the checks pass or fail."""
    params = load_params()
    report = params.paths.reports / "data_validation.json"
    try:
        summary = prepare(params)
    except DataValidationError as error:
        DataValidation(status="failed", problems=error.problems).save(report)
        error.add_note(f"Full list: {report}")
        raise
    DataValidation(status="passed", problems=[]).save(report)
    write_json(params.paths.data_metrics, summary)
    print(f"data: {summary['rows']}")
    return 0
