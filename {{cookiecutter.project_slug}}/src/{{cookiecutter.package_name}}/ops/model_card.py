"""`make model-card`: a Markdown model card, used as the body of a GitHub release.

It describes the model that was built, not the files in a checkout: the model, its
golden-set scores, lineage, parameters and serving runtime all come from the serving
metadata written by the export stage (models/serving/metadata.json, or the copy that `make
image-metadata` reads out of the published image), so a project's very first release is
complete too. Only what the model is judged by comes from the checkout: the baseline
(metrics/baseline.json) and the gate rules (params.yaml). It runs without the pipeline's heavy
dependencies. A missing input is named in the card instead of failing it.

    {{ cookiecutter.project_slug }} model-card
        [--output FILE] [--metadata FILE] [--version vX.Y.Z] [--image REF]
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from {{ cookiecutter.package_name }}.core import git
from {{ cookiecutter.package_name }}.core.files import JsonFileError, write_text
from {{ cookiecutter.package_name }}.core.formats import fixed
from {{ cookiecutter.package_name }}.core.params import Params, load_params
from {{ cookiecutter.package_name }}.core.records import (
    Baseline,
    OnnxServing,
    SklearnServing,
    load_serving_metadata,
)
from {{ cookiecutter.package_name }}.core.rules import judge_metrics
from {{ cookiecutter.package_name }}.ops.release import parse_version

log = logging.getLogger(__name__)

MISSING = "not available"
Serving = OnnxServing | SklearnServing
MODEL_ROWS = ("Task", "Estimator", "Target", "Registered model", "MLflow run", "Serving runtime")


@dataclass(frozen=True)
class Sources:
    """Everything the card is written from; None where a file is missing or unreadable."""

    serving: Serving | None
    baseline: Baseline | None
    problems: tuple[str, ...] = ()


def noted(error: JsonFileError, path: Path) -> str:
    """The error as the card lists it, with the path as code."""
    return str(error).replace(str(path), f"`{path}`", 1)


def collect(params: Params, metadata: Path | None = None) -> Sources:
    """The card's inputs; what is missing or outdated is noted, not raised."""
    problems: list[str] = []
    metadata = metadata or params.paths.serving / "metadata.json"
    serving: Serving | None = None
    baseline: Baseline | None = None
    try:
        serving = load_serving_metadata(metadata)
    except JsonFileError as error:
        problems.append(noted(error, metadata))
    try:
        baseline = Baseline.load(params.paths.baseline)
    except JsonFileError as error:
        problems.append(noted(error, params.paths.baseline))
    return Sources(serving=serving, baseline=baseline, problems=tuple(problems))


def _number(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return MISSING if value is None else str(value)
    return fixed(value)


def _code(value: object) -> str:
    return MISSING if value in (None, "") else f"`{value}`"


def model_section(serving: Serving | None, image: str | None) -> list[str]:
    """What the model is, where it was trained, and how it is served."""
    if serving is None:
        return model_rows([(name, MISSING) for name in MODEL_ROWS], image)
    return model_rows(
        [
            ("Task", serving.task),
            ("Estimator", serving.model),
            ("Target", _code(serving.target)),
            ("Registered model", f"`{serving.registered_model}` version {serving.version}"),
            ("MLflow run", _code(serving.run_id)),
            ("Trained at commit", _code(serving.lineage.get("git_commit"))),
            ("Exported at commit", _code(serving.commit)),
            ("Serving runtime", runtime_of(serving)),
        ],
        image,
    )


def model_rows(rows: list[tuple[str, str]], image: str | None) -> list[str]:
    """The model section's table, ending with the container image."""
    rows = [*rows, ("Container image", _code(image))]
    return ["## Model", "", "| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows), ""]


def runtime_of(serving: Serving) -> str:
    """Which runtime serves the model, and why not ONNX when it is scikit-learn."""
    if isinstance(serving, OnnxServing):
        return f"ONNX Runtime (matches scikit-learn on {serving.parity.rows} golden rows)"
    return f"scikit-learn via skops (ONNX not used: {serving.parity.reason})"


def metrics_section(params: Params, sources: Sources) -> list[str]:
    """The model's golden-set scores judged by the gate's rules against the baseline."""
    lines = ["## Golden-set metrics", ""]
    scored = sources.serving
    if scored is None or not scored.metrics:
        return [*lines, f"Golden metrics: {MISSING}.", ""]
    verdicts, problems = judge_metrics(
        sources.baseline, scored.golden_report(), params.gate.metrics
    )
    lines += [
        "| metric | better | this model | baseline | tolerance | limit | trivial model | gate |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for v in verdicts:
        verdict = "pass" if v.passed else f"FAIL: {v.reason}"
        lines.append(
            f"| {v.metric} | {v.direction} | {_number(v.candidate)} | {_number(v.baseline)} "
            f"| {v.tolerance:g} | {v.limit:g} | {_number(v.trivial)} | {verdict} |"
        )
    others = sorted(set(scored.metrics) - set(params.gate.metrics))
    if others:
        values = ", ".join(f"{name} {_number(scored.metrics[name])}" for name in others)
        lines += ["", f"Not gated: {values}."]
    lines += ["", *(f"- **Problem:** {problem}" for problem in problems)]
    if problems:
        lines.append("")
    return lines


def data_section(params: Params, sources: Sources) -> list[str]:
    """The sha256 of each input the model was built from, and the library versions."""
    paths = params.paths
    serving = sources.serving
    lineage = serving.lineage if serving else {}
    golden = serving.golden if serving else None
    libraries = serving.libraries if serving else {}
    rows: list[tuple[str, object]] = [
        (f"Training split `{paths.prepared.as_posix()}/train.parquet`", lineage.get("data_sha256")),
        (
            f"Golden set `{golden.path if golden else paths.golden.as_posix()}`",
            golden.sha256 if golden else None,
        ),
        ("Golden-set rows", golden.rows if golden else None),
        (f"Model `{paths.model.as_posix()}`", serving.model_sha256 if serving else None),
        ("Hyperparameters (`params.yaml: model`)", lineage.get("params_sha256")),
        ("Feature contract", serving.contract_sha256 if serving else None),
    ]
    lines = ["## Lineage", "", "| what | sha256 or value |", "|---|---|"]
    lines += [f"| {what} | {_code(value)} |" for what, value in rows]
    if libraries:
        versions = ", ".join(f"{name} {number}" for name, number in sorted(libraries.items()))
        lines += ["", f"Scored with {versions}."]
    return [*lines, ""]


def params_section(sources: Sources) -> list[str]:
    """The hyperparameters the model was trained with."""
    settings = sources.serving.params if sources.serving else {}
    lines = ["## Training parameters", ""]
    if not settings:
        return [*lines, f"Parameters: {MISSING}.", ""]
    lines += [f"- `{name}`: {value}" for name, value in settings.items()]
    return [*lines, ""]


def render(params: Params, sources: Sources, version: str, image: str | None = None) -> str:
    """The whole card as Markdown."""
    lines = [
        f"# {params.mlflow.registered_model} {version}",
        "",
        *model_section(sources.serving, image),
        *metrics_section(params, sources),
        *data_section(params, sources),
        *params_section(sources),
    ]
    if sources.problems:
        lines += ["## Missing inputs", "", *(f"- {problem}" for problem in sources.problems), ""]
    return "\n".join(lines).rstrip() + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Where to write the card, from which metadata, and the release's name."""
    parser.add_argument("--output", type=Path, help="write here instead of standard output")
    parser.add_argument("--metadata", type=Path, help="serving metadata.json (default: params)")
    parser.add_argument("--version", help="release name, e.g. v1.2.0 (default: git describe)")
    parser.add_argument("--image", help="container image reference to name in the card")


def run(args: argparse.Namespace) -> int:
    """Print or write the card; missing inputs are warnings, not failures."""
    if args.version:
        parse_version(args.version)  # a release's name is a version tag, or nothing is written
    params = load_params()
    sources = collect(params, args.metadata)
    card = render(params, sources, args.version or git.describe(), args.image)
    if args.output is None:
        sys.stdout.write(card)
    else:
        write_text(args.output, card)
        print(f"model-card: wrote {args.output}")
    for problem in sources.problems:
        log.warning(f"model-card: warning: {problem}")
    return 0
