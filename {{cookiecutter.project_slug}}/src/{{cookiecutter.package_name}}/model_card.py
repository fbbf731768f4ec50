"""`make model-card`: a Markdown model card, used as the body of a GitHub release.

It reads only committed files and the serving metadata, so it runs without the pipeline's
heavy dependencies: the golden metrics (metrics/golden.json), the baseline they are judged
against (metrics/baseline.json), the gate rules and model parameters (params.yaml), the data
hashes DVC recorded (dvc.lock) and what the service runs (models/serving/metadata.json, or
the copy `make image-metadata` reads out of a published image). A missing input is named
in the card instead of failing it.

    python -m {{ cookiecutter.package_name }}.model_card
        [--output FILE] [--metadata FILE] [--version vX.Y.Z] [--image REF]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from {{ cookiecutter.package_name }} import git
from {{ cookiecutter.package_name }}.files import write_text
from {{ cookiecutter.package_name }}.gate import compare
from {{ cookiecutter.package_name }}.params import Params, ParamsError, load_params

MISSING = "not available"


@dataclass(frozen=True)
class Sources:
    """Everything the card is written from; None where a file is missing or unreadable."""

    golden: dict[str, Any] | None
    baseline: dict[str, Any] | None
    serving: dict[str, Any] | None
    data_hashes: dict[str, str]
    problems: tuple[str, ...] = ()


def read_json(path: Path, problems: list[str]) -> dict[str, Any] | None:
    """The JSON object in `path`, or None (with the reason added to `problems`)."""
    try:
        content = json.loads(Path(path).read_text())
    except FileNotFoundError:
        problems.append(f"`{path}` is missing")
        return None
    except (OSError, ValueError) as error:
        problems.append(f"`{path}` is unreadable ({error})")
        return None
    if not isinstance(content, dict):
        problems.append(f"`{path}` does not hold a JSON object")
        return None
    return content


def dvc_hashes(lock_path: Path, problems: list[str]) -> dict[str, str]:
    """Path -> md5 of every dependency and output recorded in dvc.lock."""
    try:
        lock = yaml.safe_load(Path(lock_path).read_text()) or {}
    except FileNotFoundError:
        problems.append(f"`{lock_path}` is missing: run `make repro` and commit it")
        return {}
    except (OSError, yaml.YAMLError) as error:
        problems.append(f"`{lock_path}` is unreadable ({error})")
        return {}
    hashes: dict[str, str] = {}
    for stage in (lock.get("stages") or {}).values():
        for entry in [*(stage.get("deps") or []), *(stage.get("outs") or [])]:
            if isinstance(entry, Mapping) and entry.get("path") and entry.get("md5"):
                hashes[str(entry["path"])] = str(entry["md5"])
    return hashes


def collect(params: Params, metadata: Path | None = None, lock: Path = Path("dvc.lock")) -> Sources:
    paths = params.paths
    problems: list[str] = []
    return Sources(
        golden=read_json(paths.golden_metrics, problems),
        baseline=read_json(paths.baseline, problems),
        serving=read_json(metadata or paths.serving / "metadata.json", problems),
        data_hashes=dvc_hashes(lock, problems),
        problems=tuple(problems),
    )


def _number(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return MISSING if value is None else str(value)
    return f"{value:.4f}"


def _code(value: object) -> str:
    return MISSING if value in (None, "") else f"`{value}`"


def model_section(
    params: Params, serving: Mapping[str, Any] | None, image: str | None
) -> list[str]:
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
        ("Trained at commit", _code(serving.get("commit"))),
        ("Serving runtime", runtime or MISSING),
        ("Container image", _code(image)),
    ]
    return ["## Model", "", "| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows), ""]


def metrics_section(params: Params, sources: Sources) -> list[str]:
    lines = ["## Golden-set metrics", ""]
    if sources.golden is None:
        return [*lines, f"Golden metrics: {MISSING}.", ""]
    baseline = sources.baseline or {}
    verdicts, problems = compare(baseline, sources.golden, params.gate.metrics)
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
    others = sorted(set(sources.golden.get("metrics") or {}) - set(params.gate.metrics))
    if others:
        values = ", ".join(f"{name} {_number(sources.golden['metrics'][name])}" for name in others)
        lines += ["", f"Not gated: {values}."]
    lines += ["", *(f"- **Problem:** {problem}" for problem in problems)]
    if problems:
        lines.append("")
    return lines


def data_section(params: Params, sources: Sources) -> list[str]:
    paths = params.paths
    golden = (sources.golden or {}).get("golden") or {}

    def md5(path: Path) -> str | None:
        return sources.data_hashes.get(path.as_posix())

    rows = [
        (f"Training data `{paths.raw.as_posix()}`", "md5", md5(paths.raw)),
        (f"Golden set `{paths.golden.as_posix()}`", "md5", md5(paths.golden)),
        (f"Golden set `{paths.golden.as_posix()}`", "sha256", golden.get("sha256")),
        ("Golden-set rows", "", golden.get("rows")),
        (f"Model `{paths.model.as_posix()}`", "md5", md5(paths.model)),
        ("Feature contract", "sha256", (sources.golden or {}).get("contract_sha256")),
    ]
    lines = ["## Data", "", "| what | hash | value |", "|---|---|---|"]
    lines += [f"| {what} | {kind} | {_code(value)} |" for what, kind, value in rows]
    return [*lines, ""]


def params_section(params: Params) -> list[str]:
    settings = params.model.model_dump()
    lines = ["## Training parameters (`params.yaml: model`)", ""]
    lines += [f"- `{name}`: {value}" for name, value in settings.items()]
    sample, split = params.sample, params.split
    if sample:
        lines.append(f"- sample: {sample.rows} rows, seed {sample.seed}, drift {sample.drift}")
    return [*lines, f"- split: test share {split.test_size}, seed {split.seed}", ""]


def render(params: Params, sources: Sources, version: str, image: str | None = None) -> str:
    """The whole card as Markdown."""
    lines = [
        f"# {params.mlflow.registered_model} {version}",
        "",
        *model_section(params, sources.serving, image),
        *metrics_section(params, sources),
        *data_section(params, sources),
        *params_section(params),
    ]
    if sources.problems:
        lines += ["## Missing inputs", "", *(f"- {problem}" for problem in sources.problems), ""]
    return "\n".join(lines).rstrip() + "\n"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, help="write here instead of standard output")
    parser.add_argument("--metadata", type=Path, help="serving metadata.json (default: params)")
    parser.add_argument("--version", help="release name, e.g. v1.2.0 (default: git describe)")
    parser.add_argument("--image", help="container image reference to name in the card")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        params = load_params()
    except ParamsError as error:
        sys.exit(f"model-card: {error}")
    sources = collect(params, args.metadata)
    card = render(params, sources, args.version or git.describe(), args.image)
    if args.output is None:
        sys.stdout.write(card)
    else:
        write_text(args.output, card)
        print(f"model-card: wrote {args.output}")
    for problem in sources.problems:
        print(f"model-card: warning: {problem}", file=sys.stderr)


if __name__ == "__main__":
    main()
