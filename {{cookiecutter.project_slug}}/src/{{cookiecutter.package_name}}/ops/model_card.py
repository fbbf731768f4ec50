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
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }}.core import git
from {{ cookiecutter.package_name }}.core.files import (
    JsonFileError,
    read_json,
    write_text,
)
from {{ cookiecutter.package_name }}.core.formats import fixed
from {{ cookiecutter.package_name }}.core.params import Params, load_params
from {{ cookiecutter.package_name }}.core.rules import judge_metrics

MISSING = "not available"
# What the card reads from the serving metadata; an older or partial file is named as such.
CARD_FIELDS = ("version", "run_id", "lineage", "params", "metrics", "trivial", "golden", "runtime")


@dataclass(frozen=True)
class Sources:
    """Everything the card is written from; None where a file is missing or unreadable."""

    serving: dict[str, Any] | None
    baseline: dict[str, Any] | None
    problems: tuple[str, ...] = ()


def read_or_note(path: Path, problems: list[str]) -> dict[str, Any] | None:
    """The JSON object in `path`, or None (with the reason added to `problems`)."""
    try:
        return read_json(path)
    except JsonFileError as error:
        problems.append(str(error).replace(str(path), f"`{path}`", 1))
        return None


def collect(params: Params, metadata: Path | None = None) -> Sources:
    """The card's inputs; what is missing or outdated is noted, not raised."""
    problems: list[str] = []
    metadata = metadata or params.paths.serving / "metadata.json"
    serving = read_or_note(metadata, problems)
    if serving is not None:
        absent = [name for name in CARD_FIELDS if name not in serving]
        if absent:
            problems.append(
                f"`{metadata}` lacks {', '.join(absent)}: it was written by an older export "
                "stage; run `make repro` (or release an image built since)"
            )
    return Sources(
        serving=serving,
        baseline=read_or_note(params.paths.baseline, problems),
        problems=tuple(problems),
    )


def _number(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return MISSING if value is None else str(value)
    return fixed(value)


def _code(value: object) -> str:
    return MISSING if value in (None, "") else f"`{value}`"


def model_section(
    params: Params, serving: Mapping[str, Any] | None, image: str | None
) -> list[str]:
    """What the model is, where it was trained, and how it is served."""
    serving = serving or {}
    parity = serving.get("parity") or {}
    runtime = serving.get("runtime")
    if runtime == "onnx":
        runtime = f"ONNX Runtime (matches scikit-learn on {parity.get('rows', '?')} golden rows)"
    elif runtime == "sklearn":
        runtime = f"scikit-learn via skops (ONNX not used: {parity.get('reason', 'unknown')})"
    version = serving.get("version")
    registered = serving.get("registered_model", params.mlflow.registered_model)
    rows = [
        ("Task", serving.get("task", MISSING)),
        ("Estimator", serving.get("model", MISSING)),
        ("Target", _code(serving.get("target"))),
        ("Registered model", f"`{registered}` version {version}" if version else MISSING),
        ("MLflow run", _code(serving.get("run_id"))),
        ("Trained at commit", _code((serving.get("lineage") or {}).get("git_commit"))),
        ("Exported at commit", _code(serving.get("commit"))),
        ("Serving runtime", runtime or MISSING),
        ("Container image", _code(image)),
    ]
    return ["## Model", "", "| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows), ""]


def metrics_section(params: Params, sources: Sources) -> list[str]:
    """The model's golden-set scores judged by the gate's rules against the baseline."""
    lines = ["## Golden-set metrics", ""]
    scored = sources.serving or {}
    if not scored.get("metrics"):
        return [*lines, f"Golden metrics: {MISSING}.", ""]
    baseline = sources.baseline or {}
    verdicts, problems = judge_metrics(baseline, scored, params.gate.metrics)
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
    others = sorted(set(scored["metrics"]) - set(params.gate.metrics))
    if others:
        values = ", ".join(f"{name} {_number(scored['metrics'][name])}" for name in others)
        lines += ["", f"Not gated: {values}."]
    lines += ["", *(f"- **Problem:** {problem}" for problem in problems)]
    if problems:
        lines.append("")
    return lines


def data_section(params: Params, sources: Sources) -> list[str]:
    """The sha256 of each input the model was built from, and the library versions."""
    paths = params.paths
    serving = sources.serving or {}
    lineage = serving.get("lineage") or {}
    golden = serving.get("golden") or {}
    libraries = serving.get("libraries") or {}
    rows = [
        (f"Training split `{paths.prepared.as_posix()}/train.parquet`", lineage.get("data_sha256")),
        (f"Golden set `{golden.get('path', paths.golden.as_posix())}`", golden.get("sha256")),
        ("Golden-set rows", golden.get("rows")),
        (f"Model `{paths.model.as_posix()}`", serving.get("model_sha256")),
        ("Hyperparameters (`params.yaml: model`)", lineage.get("params_sha256")),
        ("Feature contract", serving.get("contract_sha256")),
    ]
    lines = ["## Lineage", "", "| what | sha256 or value |", "|---|---|"]
    lines += [f"| {what} | {_code(value)} |" for what, value in rows]
    if libraries:
        versions = ", ".join(f"{name} {number}" for name, number in sorted(libraries.items()))
        lines += ["", f"Scored with {versions}."]
    return [*lines, ""]


def params_section(sources: Sources) -> list[str]:
    """The hyperparameters the model was trained with."""
    settings = (sources.serving or {}).get("params") or {}
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
        *model_section(params, sources.serving, image),
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
    params = load_params()
    sources = collect(params, args.metadata)
    card = render(params, sources, args.version or git.describe(), args.image)
    if args.output is None:
        sys.stdout.write(card)
    else:
        write_text(args.output, card)
        print(f"model-card: wrote {args.output}")
    for problem in sources.problems:
        print(f"model-card: warning: {problem}", file=sys.stderr)
    return 0
