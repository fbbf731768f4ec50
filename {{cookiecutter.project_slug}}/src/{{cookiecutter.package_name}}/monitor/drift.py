"""Has the population moved away from the training data (`make drift CURRENT=batch.csv`)?

The batch (CSV, Parquet, or JSON lines such as the service's prediction log) is taken as it
comes: the id and the target columns are optional, the target may be labelled in some rows
only, in the table's own labels. Values outside the contract (out of range, unknown
categories, more missing values than it allows) are drift evidence, counted per column and
measured with the rest: an unknown category is a category of its own, and a feature missing
beyond the contract's share (sampling noise allowed) has drifted. Each feature is then
compared with the training data the pipeline keeps (<paths.prepared>/train.parquet) by
effect sizes, not p-values: PSI with the normalized Wasserstein distance (numeric) or the
Jensen-Shannon distance (categorical, boolean), each judged against the larger of its
threshold in params.yaml (`drift`) and its sampling noise at the two sample sizes. The
serving model scores the batch (a batch `make score` wrote carries its own predictions,
which are taken instead) and rows it never trained on (the test split and the golden
set, or the --reference given) to measure prediction drift and, when the batch has labels,
its metrics on its labelled rows are compared with metrics/baseline.json under the gate's
rules.
Reports go to drift.json, drift.md and drift.html in paths.reports.

Exit status: 0 no drift, or too few rows to tell (fewer than drift.min_rows); 1 drift
(dataset drift, prediction drift or degraded performance); 2 the input cannot be checked: an
unreadable file, a missing feature column, values of the wrong type, unknown labels (one
line per problem on stderr; drift.json and drift.md then say `invalid_input`, and the previous
drift.html is removed, so that no script reads an old verdict).
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from {{ cookiecutter.package_name }}.core.batches import BATCHES, newest
from {{ cookiecutter.package_name }}.core.contract import FEATURES, TARGET
from {{ cookiecutter.package_name }}.core.files import sha256_of, write_text
from {{ cookiecutter.package_name }}.core.params import (
    DriftRules,
    Params,
    ParamsError,
    load_params,
)
from {{ cookiecutter.package_name }}.core.records import (
    DriftConclusion,
    DriftReport,
    FeatureDrift,
    InvalidDriftInput,
    Outside,
    Performance,
    PredictionDrift,
    Source,
)
from {{ cookiecutter.package_name }}.core.target_branch import (
    GateInputError,
    read_baseline,
)
from {{ cookiecutter.package_name }}.core.task import Predictions
from {{ cookiecutter.package_name }}.monitor import batch, report_html, report_md
from {{ cookiecutter.package_name }}.monitor.measures import Measures, compare_outputs
from {{ cookiecutter.package_name }}.scoring import columns
from {{ cookiecutter.package_name }}.scoring.runtime import (
    ServingModel,
    ServingModelError,
    load_serving,
)

log = logging.getLogger(__name__)
REPORTS = ("drift.json", "drift.md", "drift.html")


def sample(rows: int, limit: int, seed: int) -> np.ndarray:
    """Positions of the rows to score: all of them, or `limit` drawn at random (seeded)."""
    if rows <= limit:
        return np.arange(rows)
    return np.sort(np.random.default_rng(seed).choice(rows, size=limit, replace=False))


def outputs(model: ServingModel, frame: pd.DataFrame) -> Predictions:
    """The serving model's predictions for the rows (prediction drift compares them)."""
    return model.predict({feature.name: frame[feature.name] for feature in FEATURES})


def recorded_outputs(recorded: pa.Table, positions: np.ndarray) -> Predictions:
    """The predictions a scored batch carries, at the sampled rows' positions."""
    return columns.predictions_of(recorded.take(positions))


def labelled(target: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The labelled rows' positions, and their labels as the metrics take them.

    The one place where a batch's labels, in the table's own form, meet the model's.
    """
    rows = np.flatnonzero(target.notna().to_numpy())
    values = target.iloc[rows]
    try:
        truth = TARGET.task.truth(values)  # labels in the table's own form -> the model's
    except (TypeError, ValueError) as error:
        raise batch.BatchError(
            f"column {TARGET.name!r} holds labels the model does not know ({error}): fix them "
            f"at the source, or leave them empty (unlabelled rows are measured as drift only)"
        ) from None
    return rows, truth


def performance_of(
    params: Params, truth: np.ndarray, predicted: np.ndarray, notes: list[str]
) -> Performance | None:
    """The batch's metrics against the baseline; None, with a note, when they are undefined."""
    # Imported here: scikit-learn and skops take a second, and only labelled batches need them.
    from {{ cookiecutter.package_name }}.monitor.performance import measure_performance

    if not params.paths.baseline.is_file():
        raise GateInputError(
            f"{params.paths.baseline} not found: run `make baseline` (labelled batches need it)"
        )
    baseline = read_baseline(params.paths.baseline.read_text(), str(params.paths.baseline))
    try:
        return measure_performance(
            truth,
            predicted,
            baseline=baseline,
            source=str(params.paths.baseline),
            rules=params.gate.metrics,
            drift=params.drift,
        )
    except ValueError as error:  # for example a single class: AUC is undefined
        notes.append(f"performance not measured: {error}")
        return None


def conclude(
    rows: int,
    features: list[FeatureDrift],
    prediction: PredictionDrift,
    performance: Performance | None,
    rules: DriftRules,
) -> DriftConclusion:
    """Drift when enough features drifted, the predictions moved or performance degraded."""
    judged = [f for f in features if f.verdict != "insufficient_data"]
    drifted = [f.name for f in judged if f.verdict == "drift"]
    share = len(drifted) / len(judged) if judged else 0.0
    if rows < rules.min_rows:
        reason = f"{rows:,} rows: too few to tell drift from noise (min_rows {rules.min_rows:,})"
        return DriftConclusion("insufficient_data", [reason], False, drifted, share)
    dataset_drift = bool(judged) and share >= rules.dataset_drift_share
    reasons = []
    if dataset_drift:
        reasons.append(
            f"dataset drift: {len(drifted)} of {len(judged)} features drifted "
            f"({share:.0%}, limit {rules.dataset_drift_share:.0%}): {', '.join(drifted)}"
        )
    if prediction.verdict == "drift" and prediction.psi is not None:
        reasons.append(f"prediction drift: PSI {prediction.psi:.3f} >= {prediction.threshold:g}")
    if performance and performance.degraded:
        reasons.append(f"performance degraded: {', '.join(performance.degraded)}")
    return DriftConclusion(
        "drift" if reasons else "no_drift", reasons, dataset_drift, drifted, share
    )


def now() -> str:
    """The time a report is written: UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def source(path: Path, rows: int) -> Source:
    """The file's path, its row count and its sha256."""
    return Source(str(path), rows, sha256_of(path))


def with_missing_drift(
    features: list[FeatureDrift], outside: list[Outside], judged: bool
) -> list[FeatureDrift]:
    """A feature missing beyond its contract's share (noise allowed) has drifted.

    Even when too few of its values are left to measure; `judged`: the batch has min_rows.
    """
    missing = {found.column for found in outside if found.what == batch.TOO_MANY_MISSING}
    return [replace(f, verdict="drift") if judged and f.name in missing else f for f in features]


def unseen_rows(params: Params, reference: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """What the batch's predictions are compared with: rows the model never trained on.

    On its own training rows a flexible model (a random forest) is surer than on any other,
    so its outputs there look "drifted" from every real batch. The test split and the golden
    set are the training data's population, unseen; without them, the reference itself.
    """
    held_out = [params.paths.prepared / "test.parquet", params.paths.golden]
    frames = [batch.read(path).frame for path in held_out if path.is_file()]
    if not frames:
        return reference, None
    rows = pd.concat(frames, ignore_index=True)
    return rows, f"predictions compared with the model's on {len(rows):,} rows it did not train on"


def measure(
    params: Params, current_path: Path, reference_path: Path, *, default_reference: bool = False
) -> DriftReport:
    """Everything the reports say, computed before any of them is written.

    `default_reference`: the reference is the training data, so the model's outputs are
    compared with its outputs on held-out rows (unseen_rows) rather than on it.
    """
    rules = params.drift
    reference = batch.read(reference_path).frame
    if len(reference) < rules.min_rows:
        raise batch.BatchError(
            f"{reference_path} has {len(reference):,} rows: a reference needs at least "
            f"drift.min_rows ({rules.min_rows:,}), as a batch does"
        )
    read = batch.read(current_path)
    current = read.frame
    model, metadata = load_serving(params.paths.serving)
    measures = Measures(rules)
    features = [f.drift(reference[f.name], current[f.name], measures) for f in FEATURES]
    features = with_missing_drift(features, read.outside, len(current) >= rules.min_rows)
    positions = sample(len(current), rules.prediction_sample_rows, rules.seed)
    scored = current.iloc[positions]
    unseen, note = unseen_rows(params, reference) if default_reference else (reference, None)
    expected = unseen.iloc[sample(len(unseen), rules.prediction_sample_rows, rules.seed)]
    recorded = columns.read_predictions(current_path)  # a batch `score` wrote: its predictions
    predicted = (
        outputs(model, scored) if recorded is None else recorded_outputs(recorded, positions)
    )
    output = TARGET.task.score_description
    prediction = compare_outputs(output, outputs(model, expected), predicted, rules)
    notes = [note] if note else []
    if recorded is not None:
        versions = ", ".join(sorted(set(recorded.column(columns.MODEL_VERSION).to_pylist())))
        notes.append(f"the batch's own predictions, by model version {versions}, are compared")
    if len(scored) < len(current):
        notes.append(f"the model scored a seeded sample of {len(scored):,} of the batch's rows")
    performance = None
    if TARGET.name in current and current[TARGET.name].notna().any():
        rows, truth = labelled(scored[TARGET.name])
        if len(rows) < len(scored):
            notes.append(f"performance measured on the {len(rows):,} labelled rows scored")
        if len(rows):
            performance = performance_of(params, truth, predicted.score[rows], notes)
    else:
        notes.append(f"no labels in {TARGET.name!r}: performance not measured")
    conclusion = conclude(len(current), features, prediction, performance, rules)
    return DriftReport(
        **vars(conclusion),
        thresholds=rules.model_dump(),
        features=features,
        prediction=prediction,
        performance=performance,
        outside_contract=read.outside,
        notes=notes,
        reference=source(reference_path, len(reference)),
        current=source(current_path, len(current)),
        model={"runtime": metadata.runtime, "version": metadata.version, "model": metadata.model},
        generated_at=now(),
    )


def write_reports(result: DriftReport, folder: Path) -> str:
    """Render all three reports first, then write each atomically; return the markdown."""
    markdown = report_md.to_markdown(result)
    page = report_html.to_html(result)
    write_text(folder / "drift.html", page)
    write_text(folder / "drift.md", markdown)
    result.save(folder / "drift.json")
    return markdown


def write_invalid(folder: Path, current: Path, problem: str) -> None:
    """Replace the previous verdict: a script reading drift.json must not find an old one."""
    InvalidDriftInput(
        status="invalid_input", problem=problem, current=str(current), generated_at=now()
    ).save(folder / "drift.json")
    write_text(
        folder / "drift.md",
        f"## Drift check: INVALID INPUT\n\n`{current}` could not be checked:\n\n"
        f"```\n{problem}\n```\n",
    )
    (folder / "drift.html").unlink(missing_ok=True)


NO_BATCH = (
    f"no batch in {BATCHES}/: add one (CSV, Parquet or JSON lines), set CURRENT=<file>, or "
    "write a demo with make batch"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The batch, and where to compare it from and write the reports to."""
    parser.add_argument(
        "--current",
        type=Path,
        metavar="PATH",
        help="the batch: a .csv, .parquet or .jsonl file with every feature of contract.yaml "
        f"(default: the newest in {BATCHES}/, names sorting by date)",
    )
    parser.add_argument(
        "--reference",
        type=Path,
        metavar="PATH",
        help="what 'no drift' looks like (default: <paths.prepared>/train.parquet)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        metavar="DIR",
        help=f"folder for {', '.join(REPORTS)} (default: paths.reports)",
    )


def run(args: argparse.Namespace) -> int:
    """`make drift`: the exit status is documented at the top of this module."""
    try:
        params = load_params()
    except ParamsError as error:
        log.error(f"drift: {error}")
        return 2
    folder = args.output or params.paths.reports
    if args.current is None:
        args.current = newest((".csv", ".parquet", ".jsonl"))
        if args.current is None:
            log.error(f"drift: {NO_BATCH}")
            return 2
        print(f"drift: checking {args.current}")
    try:
        reference = args.reference or params.paths.prepared / "train.parquet"
        if args.reference is None and not reference.is_file():
            raise batch.BatchError(f"{reference} not found: run `make repro` to prepare it")
        result = measure(params, args.current, reference, default_reference=args.reference is None)
    except (batch.BatchError, GateInputError, ServingModelError) as error:
        log.error(f"drift: {error}")
        write_invalid(folder, args.current, str(error))
        return 2
    print(write_reports(result, folder))
    print(f"Reports: {', '.join(str(folder / name) for name in REPORTS)}")
    if result.status == "drift":
        log.error(f"drift: {'; '.join(result.reasons)}")
        return 1
    return 0
