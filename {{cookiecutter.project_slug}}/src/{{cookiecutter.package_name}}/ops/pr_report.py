"""The pull request's report, posted by CI as one comment that each push updates.

It puts together what a reviewer needs in one place: the gate's verdict and table
(reports/gate.md, an override and its reason included), the metrics and parameters that
differ from the target branch (`dvc metrics diff` and `dvc params diff`), the data
validation summary (reports/data_validation.json, metrics/data.json), and a link to the
plots. A section whose input is missing says so instead of disappearing.
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

from {{ cookiecutter.package_name }}.core.files import read_json, write_text
from {{ cookiecutter.package_name }}.core.params import load_params
from {{ cookiecutter.package_name }}.core.records import DataValidation
from {{ cookiecutter.package_name }}.core.settings import GateSettings
from {{ cookiecutter.package_name }}.core.target_branch import chosen_ref

SHOWN_PROBLEMS = 10


def dvc_diff(kind: str, base: str) -> str:
    """`dvc metrics|params diff <base> --md`: the rows that changed, or a sentence."""
    result = subprocess.run(
        ["dvc", kind, "diff", base, "--md"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return f"Could not compare with `{base}`: {reason}"
    return result.stdout.strip() or f"No {kind} differ from `{base}`."


def data_summary(validation: Path, data_metrics: Path) -> str:
    """Passed with row counts, failed with the first problems, or missing."""
    if not validation.is_file():
        return f"No data validation report (`{validation}`): the data stage did not run."
    report = DataValidation.load(validation)
    if report.status != "passed":
        problems = report.problems
        lines = [f"**Failed**: {len(problems)} problem(s) (first {SHOWN_PROBLEMS} shown)."]
        for problem in problems[:SHOWN_PROBLEMS]:
            examples = ", ".join(problem.examples)
            lines.append(
                f"- `{problem.source}`: column `{problem.column}` fails "
                f"{problem.check} in {problem.rows} row(s)" + (f": {examples}" if examples else "")
            )
        return "\n".join(lines)
    if not data_metrics.is_file():
        return f"**Passed** (no row counts: `{data_metrics}` is missing)."
    rows = read_json(data_metrics).get("rows", {})
    counts = ", ".join(f"{name} {count:,} rows" for name, count in rows.items())
    return f"**Passed**: the raw table and the golden set meet the contract ({counts})."


def compose(*, gate: str, metrics: str, params: str, data: str, base: str, plots_url: str) -> str:
    """The comment's markdown, one section per question a reviewer asks."""
    plots = (
        f"[Golden-set plots]({plots_url}) (`dvc_plots/index.html` in the artifact)."
        if plots_url
        else "Plots: `make plots` renders them to `dvc_plots/index.html`."
    )
    return "\n".join(
        [
            gate.strip() or "## Model gate\n\nNo gate report: the gate did not run.",
            "",
            f"### Metrics against `{base}`",
            "",
            metrics,
            "",
            f"### Parameters against `{base}`",
            "",
            params,
            "",
            "### Data validation",
            "",
            data,
            "",
            "### Plots",
            "",
            plots,
            "",
        ]
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The target branch to compare with, and the link to the plots."""
    parser.add_argument(
        "--base",
        help="git ref of the target branch (default: the gate's: GATE_BASELINE_REF, else "
        "params.yaml gate.baseline_ref)",
    )
    parser.add_argument("--plots-url", default="", help="link to the uploaded plots")


def run(args: argparse.Namespace) -> int:
    """Write reports/pr-report.md, comparing with the target branch the gate judged against."""
    params = load_params()
    paths = params.paths
    base = args.base or chosen_ref(params.gate.baseline_ref, GateSettings.from_env().baseline_ref)
    gate = paths.reports / "gate.md"
    text = compose(
        gate=gate.read_text(encoding="utf-8") if gate.is_file() else "",
        metrics=dvc_diff("metrics", base),
        params=dvc_diff("params", base),
        data=data_summary(paths.reports / "data_validation.json", paths.data_metrics),
        base=base,
        plots_url=args.plots_url,
    )
    output = paths.reports / "pr-report.md"
    write_text(output, text)
    print(f"pr-report: wrote {output}")
    return 0
