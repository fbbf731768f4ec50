"""`make impact-report`: the challenger's impact on outcomes, from the prediction log.

README: "Impact of a new model". Writes reports/impact.md and reports/impact.json; the exit
status is 0 whatever the verdict (the report says it), 16 when the inputs cannot be used.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from {{ cookiecutter.package_name }}.core.files import write_atomically
from {{ cookiecutter.package_name }}.core.params import ParamsError, load_params
from {{ cookiecutter.package_name }}.impact.analysis import ImpactReport, analyse
from {{ cookiecutter.package_name }}.impact.inputs import join, read_log, read_outcomes

UNKNOWN = "-"
HEADLINES = {
    "not_enough_data": "Not enough data",
    "sample_ratio_mismatch": "Sample ratio mismatch: no verdict",
    "guardrail": "Guardrail breached",
    "better": "Better",
    "worse": "Worse",
    "inconclusive": "No difference shown yet",
    "mixed": "Mixed",
}


def number(value: float | None, digits: str = ".4g") -> str:
    """A table cell: the number, or a dash when unknown."""
    return UNKNOWN if value is None else format(value, digits)


def markdown(report: ImpactReport) -> str:
    """The report as markdown: headline, variants, comparisons, definitions."""
    lines = [
        f"# Impact: {HEADLINES[report.status]}",
        "",
        report.summary + ".",
        "",
        f"Metric: **{report.metric}** ({report.better} is better), per id"
        + (", CUPED-adjusted by its pre-period value" if report.cuped else "")
        + f". Intervals hold with {1 - report.alpha:.0%} at every look (read it daily).",
        f"{report.days:.1f} days of log, {report.units_per_day:.1f} new ids a day, outcomes "
        f"known until {report.outcomes_until or 'none yet'}; "
        f"sample-ratio p = {report.sample_ratio_p:.3g}; ids logged in two variants: "
        f"{report.crossed_ids}.",
        "",
        f"| variant | share (configured) | ids | with outcome | mean {report.metric} "
        "| errors / rows "
        "| latency p50 / p95 ms | mean score |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for v in report.variants:
        lines.append(
            f"| {v.name} | {v.observed_share:.1%} ({v.configured_share:.0%}) | {v.units:,} "
            f"| {v.with_outcome:,} | {number(v.metric_mean)} | {v.errors} / {v.rows:,} "
            f"| {number(v.latency_p50_ms, '.2f')} / {number(v.latency_p95_ms, '.2f')} "
            f"| {number(v.mean_score)} |"
        )
    lines += [
        "",
        f"| {report.control} vs | verdict | difference | always-valid interval | relative "
        "| CUPED variance cut | score shift (KS) | agreement (ids) | detectable now "
        f"| days for a {report.target_lift:.0%} lift |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in report.comparisons:
        interval = UNKNOWN if c.low is None else f"[{c.low:+.4g}, {c.high:+.4g}]"
        lines.append(
            f"| {c.variant} | {c.verdict.replace('_', ' ')} | {number(c.estimate, '+.4g')} "
            f"| {interval} | {number(c.relative, '+.2%')} | {number(c.variance_reduction, '.0%')} "
            f"| {number(c.score_shift, '+.3g')} ({number(c.score_ks, '.2f')}) "
            f"| {number(c.agreement, '.1%')} ({c.paired:,}) "
            f"| {number(c.mde)} | {c.days_needed if c.days_needed is not None else '> 365'} |"
        )
    return "\n".join(lines) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Inputs default to params.yaml's impact section; outputs go to paths.reports."""
    parser.add_argument("--log", type=Path, help="the prediction log (default: impact.log)")
    parser.add_argument(
        "--outcomes", type=Path, help="CSV or Parquet of outcomes (default: impact.outcomes)"
    )


def run(args: argparse.Namespace) -> int:
    """Read, join, analyse; write the markdown and the JSON; print the headline."""
    params = load_params()
    rules = params.impact
    if rules is None:
        raise ParamsError(
            "params.yaml has no `impact` section; copy it from the template's params.yaml "
            '(README: "Impact of a new model")'
        )
    rows = read_log(args.log or rules.log)
    outcomes = read_outcomes(args.outcomes or rules.outcomes, rules)
    report = analyse(join(rows, outcomes), rules)
    out = params.paths.reports
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report.as_json(), indent=2)
    write_atomically(out / "impact.json", lambda tmp: tmp.write_text(text + "\n"))
    write_atomically(out / "impact.md", lambda tmp: tmp.write_text(markdown(report)))
    print(f"impact-report: {HEADLINES[report.status]}: {report.summary}")
    print(f"impact-report: wrote {out / 'impact.md'} and {out / 'impact.json'}")
    return 0
