"""reports/canary.{json,md,html}: the verdict and why, then each interval side by side.

The HTML page is self-contained (plotly.js inline) in the drift report's style: one chart per
metric, champion and challenger per interval, the tolerance line where there is one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from html import escape
from pathlib import Path
from typing import Any

import plotly.io
from plotly.offline import get_plotlyjs

from {{ cookiecutter.package_name }}.canary.agreement import Agreement, describe
from {{ cookiecutter.package_name }}.canary.judge import IntervalResult, Verdict
from {{ cookiecutter.package_name }}.core.files import write_json, write_text
from {{ cookiecutter.package_name }}.core.params import Deploy

COLORS = {"champion": "#57606a", "challenger": "#0969da"}
BANNER = {
    Verdict.PROMOTE: "#1a7f37",
    Verdict.ROLL_BACK: "#cf222e",
    Verdict.HOLD: "#9a6700",
    Verdict.INCONCLUSIVE: "#6e7781",
}
STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #1f2328; background: #f6f8fa; margin: 0; }
main { max-width: 1180px; margin: 0 auto; padding: 24px; }
.banner { border-radius: 8px; padding: 16px 22px; color: #fff; }
.banner h1 { margin: 0 0 4px; font-size: 26px; } .banner p { margin: 0; opacity: .92; }
section { background: #fff; border: 1px solid #d0d7de; border-radius: 8px;
  padding: 14px 20px; margin-top: 18px; }
h2 { font-size: 18px; margin: 4px 0 12px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #eaeef2; }
th { color: #59636e; font-weight: 600; } .failed { color: #cf222e; font-weight: 600; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(350px, 1fr)); gap: 14px; }
"""
CHARTS = (
    ("requests", "requests per interval", None),
    ("error_rate", "error rate (5xx share)", "error_rate"),
    ("latency_p99", "p99 latency (s)", "latency_p99"),
    ("score_shift", "score shift (Kolmogorov distance)", "score_shift"),
)


@dataclass(frozen=True)
class Summary:
    """Everything the reports show."""

    verdict: Verdict
    reason: str
    action: str
    rules: Deploy
    intervals: list[IntervalResult]
    models: dict[str, dict[str, Any]]
    run: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        """The JSON report: machine-readable, what the tests and benchmarks read."""
        return {
            "verdict": self.verdict.value,
            "reason": self.reason,
            "action": self.action,
            "rules": self.rules.model_dump(),
            "models": {
                name: {key: meta.get(key) for key in ("registered_model", "version", "run_id")}
                for name, meta in self.models.items()
            },
            "run": self.run,
            "intervals": [
                {**asdict(item), "outcome": item.outcome.value} for item in self.intervals
            ],
        }


def series(summary: Summary, metric: str) -> dict[str, list[float | None]]:
    """Each variant's value of a metric per interval (None where it was not measured)."""
    values: dict[str, list[float | None]] = {"champion": [], "challenger": []}
    for item in summary.intervals:
        if metric == "requests":
            values["champion"].append(item.champion_requests)
            values["challenger"].append(item.challenger_requests)
            continue
        found = next((check for check in item.checks if check.metric == metric), None)
        values["champion"].append(found.champion if found else None)
        values["challenger"].append(found.challenger if found else None)
    if metric == "score_shift":
        del values["champion"]  # a distance between the two: one line
    return values


def chart(summary: Summary, metric: str, title: str) -> str:
    """One metric per interval, both variants as lines (the distance as one)."""
    numbers = [item.index + 1 for item in summary.intervals]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": name,
            "x": numbers,
            "y": values,
            "line": {"color": COLORS[name]},
        }
        for name, values in series(summary, metric).items()
    ]
    if metric == "score_shift":
        tolerance = summary.rules.metrics.score_shift.tolerance
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "tolerance",
                "x": numbers,
                "y": [tolerance] * len(numbers),
                "line": {"color": "#cf222e", "dash": "dot"},
            }
        )
    if metric == "requests":
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "minimum",
                "x": numbers,
                "y": [summary.rules.min_requests] * len(numbers),
                "line": {"color": "#cf222e", "dash": "dot"},
            }
        )
    figure = {
        "data": data,
        "layout": {
            "title": {"text": title, "font": {"size": 13}},
            "height": 260,
            "margin": {"l": 48, "r": 8, "t": 36, "b": 36},
            "xaxis": {"title": {"text": "interval"}, "dtick": 1},
            "legend": {"orientation": "h", "y": -0.25},
            "plot_bgcolor": "#fff",
            "font": {"size": 11},
        },
    }
    html: str = plotly.io.to_html(
        figure,
        include_plotlyjs=False,
        full_html=False,
        validate=False,
        div_id=f"chart-{metric}",
        config={"displayModeBar": False, "responsive": True},
    )
    return html


def table_rows(summary: Summary) -> list[list[str]]:
    """One row per interval: requests, outcome, and why."""
    return [
        [
            str(item.index + 1),
            f"{item.champion_requests:.0f}",
            f"{item.challenger_requests:.0f}",
            item.outcome.value,
            item.reason,
        ]
        for item in summary.intervals
    ]


HEADER = ["interval", "champion requests", "challenger requests", "outcome", "why"]


def aftermath(summary: Summary) -> str:
    """What clients saw, and after a roll back whether any request still reached the challenger."""
    run = summary.run
    text = f"Clients' p99: {run.get('client_p99_seconds', float('nan')) * 1000:.1f} ms."
    if "challenger_requests_after_roll_back" in run:
        text += (
            f" Share 0 {run['share_zero_after_seconds']:g} s after the start; in the second "
            f"after the reload {run['challenger_requests_after_roll_back']:.0f} requests reached "
            "the challenger."
        )
    if "shadow_agreement" in run:
        found = run["shadow_agreement"]
        text += " " + describe(Agreement(**found) if found is not None else None)
    return text


def markdown(summary: Summary) -> str:
    """canary.md: the verdict, the models, then the intervals as a table."""
    versions = ", ".join(
        f"{name} {meta.get('registered_model')} version {meta.get('version')}"
        for name, meta in summary.models.items()
    )
    lines = [
        f"# Canary: {summary.verdict.value}",
        "",
        f"**{summary.reason}**" + (f". {summary.action}." if summary.action else ""),
        "",
        f"Mode {summary.rules.mode}, challenger share {summary.rules.share:g}, "
        f"{summary.rules.interval_seconds:g} s intervals, at least "
        f"{summary.rules.min_requests} challenger requests each. {versions}.",
        "",
        aftermath(summary),
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
        *("| " + " | ".join(row) + " |" for row in table_rows(summary)),
    ]
    return "\n".join(lines) + "\n"


def html(summary: Summary) -> str:
    """canary.html: the banner, the interval table and one chart per metric."""
    rows = "".join(
        f'<tr class="{row[3]}">' + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>"
        for row in table_rows(summary)
    )
    charts = "".join(chart(summary, metric, title) for metric, title, _ in CHARTS)
    action = f" {escape(summary.action)}." if summary.action else ""
    return (
        '<!doctype html><html><head><meta charset="utf-8"><title>Canary: '
        f"{escape(summary.verdict.value)}</title><style>{STYLE}</style>"
        f"<script>{get_plotlyjs()}</script></head><body><main>"
        f'<div class="banner" style="background: {BANNER[summary.verdict]}">'
        f"<h1>Canary: {escape(summary.verdict.value)}</h1>"
        f"<p>{escape(summary.reason)}.{action}</p></div>"
        f"<section><p>{escape(aftermath(summary))}</p></section>"
        "<section><h2>Intervals</h2><table><tr>"
        + "".join(f"<th>{escape(cell)}</th>" for cell in HEADER)
        + f"</tr>{rows}</table></section>"
        f'<section><h2>Per interval</h2><div class="grid">{charts}</div></section>'
        "</main></body></html>"
    )


def write(summary: Summary, folder: Path) -> None:
    """Write the three reports into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / "canary.json", summary.as_json())
    write_text(folder / "canary.md", markdown(summary))
    write_text(folder / "canary.html", html(summary))
