"""drift.html: one self-contained page (plotly.js inline, once) that opens offline.

The verdict comes first, then the table of features (drifted first, colored by verdict), the
model's predictions, the performance, and one plot per feature: reference and batch shares on
the bins the PSI was computed on (the reference's quantile bins, or the categories).
"""

from __future__ import annotations

from html import escape

import plotly.io
from plotly.offline import get_plotlyjs

from {{ cookiecutter.package_name }}.core.formats import fixed
from {{ cookiecutter.package_name }}.core.records import (
    DriftReport,
    FeatureDrift,
    Histogram,
    Performance,
)
from {{ cookiecutter.package_name }}.monitor.report_md import (
    STATUS,
    distance,
    limits,
    ranked,
    summary,
)

REFERENCE_COLOR = "#57606a"
CURRENT_COLOR = {"drift": "#cf222e", "ok": "#0969da", "insufficient_data": "#6e7781"}
STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #1f2328; background: #f6f8fa; margin: 0; }
main { max-width: 1180px; margin: 0 auto; padding: 24px; }
.banner { border-radius: 8px; padding: 16px 22px; color: #fff; }
.banner h1 { margin: 0 0 4px; font-size: 26px; }
.banner p { margin: 0; opacity: .92; }
.drift { background: #cf222e; } .ok, .no_drift { background: #1a7f37; }
.insufficient_data { background: #6e7781; }
section { background: #fff; border: 1px solid #d0d7de; border-radius: 8px;
  padding: 14px 20px; margin-top: 18px; }
h2 { font-size: 18px; margin: 4px 0 12px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #eaeef2; }
th { color: #59636e; font-weight: 600; }
.alarm { font-weight: 600; color: #cf222e; } .note { font-weight: 600; }
.pill { color: #fff; border-radius: 999px; padding: 1px 10px; font-size: 13px; }
.degraded { background: #cf222e; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(350px, 1fr));
  gap: 14px; }
.card { border: 1px solid #eaeef2; border-radius: 6px; padding: 8px 10px; }
.card h3 { font-size: 15px; margin: 0; }
.card p { margin: 0; color: #59636e; font-size: 13px; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
footer { color: #59636e; font-size: 13px; margin-top: 18px; }
"""


def pill(verdict: str) -> str:
    """A verdict as a coloured label."""
    return f'<span class="pill {verdict}">{escape(verdict.replace("_", " "))}</span>'


def plot(div_id: str, histogram: Histogram, verdict: str, overlay: bool) -> str:
    """Batch shares as bars; the reference's as outlines over them (bins) or beside (categories)."""
    batch = {"color": CURRENT_COLOR[verdict], "opacity": 0.75 if overlay else 0.9}
    reference = (
        {"color": "rgba(0, 0, 0, 0)", "line": {"color": REFERENCE_COLOR, "width": 2}}
        if overlay
        else {"color": REFERENCE_COLOR}
    )
    traces = [("reference", histogram.reference, reference), ("batch", histogram.current, batch)]
    if overlay:
        traces.reverse()  # the outlines are drawn over the bars
    figure = {
        "data": [
            {
                "type": "bar",
                "name": name,
                "x": histogram.labels,
                "y": shares,
                "marker": marker,
                "hovertemplate": "%{x}: %{y:.1%}<extra>" + name + "</extra>",
            }
            for name, shares, marker in traces
        ],
        "layout": {
            "barmode": "overlay" if overlay else "group",
            "bargap": 0.08,
            "height": 260,
            "margin": {"l": 48, "r": 8, "t": 28, "b": 56},
            "legend": {"orientation": "h", "x": 0, "y": 1.16, "traceorder": "normal"},
            "xaxis": {"type": "category", "tickangle": -30, "automargin": True},
            "yaxis": {"tickformat": ".0%", "title": {"text": "share of rows"}},
            "plot_bgcolor": "#fff",
            "font": {"size": 11},
        },
    }
    html: str = plotly.io.to_html(
        figure,
        include_plotlyjs=False,
        full_html=False,
        validate=False,
        div_id=div_id,
        default_height="260px",
        config={"displayModeBar": False, "responsive": True},
    )
    return html


def anchor(name: str) -> str:
    """An HTML id for a feature: column names may hold spaces, which ids may not."""
    return f"feature-{name.encode().hex()}"


def feature_rows(features: list[FeatureDrift]) -> str:
    """The summary table: one row per feature, most drifted first, linked to its card."""
    rows = []
    for feature in ranked(features):
        shares = feature.null_share
        missing = f"{shares['reference']:.1%} &rarr; {shares['current']:.1%}"
        rows.append(
            f"<tr><td><a href='#{anchor(feature.name)}'>{escape(feature.name)}</a></td>"
            f"<td>{feature.kind}</td><td>{fixed(feature.psi, 3)}</td>"
            f"<td>{distance(feature)}</td><td>{limits(feature)}</td><td>{missing}</td>"
            f"<td>{pill(feature.verdict)}</td></tr>"
        )
    return (
        "<table><tr><th>feature</th><th>kind</th><th>PSI</th><th>distance</th>"
        "<th>drift from (PSI / distance)</th><th>missing (reference &rarr; batch)</th>"
        f"<th>verdict</th></tr>{''.join(rows)}</table>"
    )


def feature_card(feature: FeatureDrift) -> str:
    """One feature's measures and its histogram of reference and batch shares."""
    measures = f"PSI {fixed(feature.psi, 3)}, {distance(feature)}"
    overlay = feature.kind == "numeric"  # bins overlaid; categories side by side
    return (
        f"<div class='card' id='{anchor(feature.name)}'><h3>{escape(feature.name)} "
        f"{pill(feature.verdict)}</h3><p>{feature.kind}; {measures}; "
        f"{feature.rows['current']:,} rows measured</p>"
        f"{plot(f'plot-{anchor(feature.name)}', feature.histogram, feature.verdict, overlay)}"
        "</div>"
    )


def performance_section(performance: Performance | None) -> str:
    """The batch's metrics against the baseline, when the batch has labels."""
    if performance is None:
        return "<p>Not measured: the batch has no labels (or they allow no metric).</p>"
    rows = []
    for check in performance.checks:
        rows.append(
            f"<tr><td>{escape(check.metric)}</td><td>{check.direction}</td>"
            f"<td>{fixed(check.baseline, 4)}</td><td>{fixed(check.current, 4)}</td>"
            f"<td>{fixed(check.delta, 4)}</td>"
            f"<td>{check.tolerance:g} + {fixed(check.noise, 4)}</td>"
            f"<td>{pill(check.verdict)}</td></tr>"
        )
    return (
        f"<p>{performance.rows:,} labelled rows against <code>{escape(performance.baseline)}"
        "</code>. Allowed: the gate's tolerance plus the sampling noise of two samples.</p>"
        "<table><tr><th>metric</th><th>better</th><th>baseline</th><th>batch</th><th>delta</th>"
        f"<th>allowed (tolerance + noise)</th><th>verdict</th></tr>{''.join(rows)}</table>"
    )


def outside_section(result: DriftReport) -> str:
    """Values the contract refuses, per column, as a list; nothing when there are none."""
    if not result.outside_contract:
        return ""
    items = "".join(
        f"<li>{escape(found.column)}: {found.rows:,} row(s) {escape(found.what)}"
        + (f" ({escape(', '.join(found.examples))})" if found.examples else "")
        + "</li>"
        for found in result.outside_contract
    )
    return (
        "<section><h2>Values outside the contract</h2><p>Measured with the rest, as evidence "
        f"of drift.</p><ul>{items}</ul></section>"
    )


def sources(result: DriftReport) -> str:
    """What was compared: both files by sha256, the model and the thresholds."""
    items = [
        f"{name}: <code>{escape(item.path)}</code>, {item.rows:,} rows, sha256 "
        f"<span class='mono'>{item.sha256[:16]}</span>"
        for name, item in (("Batch", result.current), ("Reference", result.reference))
    ]
    items.append(
        f"Model: {escape(result.model['runtime'])}, version {escape(result.model['version'])}"
    )
    thresholds = ", ".join(f"{name} {value:g}" for name, value in result.thresholds.items())
    items.append(f"Settings (params.yaml, drift): {escape(thresholds)}")
    items += [f"Note: {escape(note)}" for note in result.notes]
    items.append(f"Generated {escape(result.generated_at)}")
    return "".join(f"<div>{item}</div>" for item in items)


def to_html(result: DriftReport) -> str:
    """The whole report as one self-contained HTML page."""
    status = STATUS[result.status]
    reasons = result.reasons if result.status == "insufficient_data" else []
    lines = "".join(f"<li class='note'>{escape(reason)}</li>" for reason in reasons)
    lines += "".join(
        ("<li class='alarm'>" if alarm else "<li>") + f"{escape(text)}</li>"
        for text, alarm in summary(result)
    )
    prediction = result.prediction
    cards = "".join(feature_card(feature) for feature in ranked(result.features))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Drift check: {status} ({escape(result.current.path)})</title>
<style>{STYLE}</style>
<script>{get_plotlyjs()}</script>
</head>
<body>
<main>
<div class="banner {result.status}"><h1>Drift check: {status}</h1>
<p>Batch <code>{escape(result.current.path)}</code> ({result.current.rows:,} rows) against
<code>{escape(result.reference.path)}</code> ({result.reference.rows:,} rows)</p></div>
<section><ul>{lines}</ul></section>
<section><h2>Features</h2>{feature_rows(result.features)}</section>
{outside_section(result)}
<section><h2>Predictions: {escape(prediction.output)} {pill(prediction.verdict)}</h2>
<p>PSI {fixed(prediction.psi, 3)} (drift from {prediction.threshold:g}) on
{prediction.rows["current"]:,} scored rows of the batch and {prediction.rows["reference"]:,}
of the reference.</p>
{plot("plot-prediction", prediction.histogram, prediction.verdict, overlay=True)}</section>
<section><h2>Performance</h2>{performance_section(result.performance)}</section>
<section><h2>Feature distributions</h2><div class="grid">{cards}</div></section>
<footer>{sources(result)}</footer>
</main>
</body>
</html>
"""
