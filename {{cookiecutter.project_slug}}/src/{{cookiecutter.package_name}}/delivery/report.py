"""The delivery report: delivery.json for machines, delivery.md for people (and the issue)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from {{ cookiecutter.package_name }}.delivery import measures
from {{ cookiecutter.package_name }}.delivery.measures import Kpis, Metric

NONE = "none"  # what a metric with nothing to measure in the window shows


def as_json(kpis: Kpis, repository: str) -> dict[str, Any]:
    """Every metric with its counts and series, the deployments, and the reading's end."""

    def plain(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.isoformat().replace("+00:00", "Z")
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    return {
        "repository": repository,
        "since": plain(kpis.since),
        "until": plain(kpis.until),
        "complete": kpis.stopped is None,
        "stopped": kpis.stopped,
        "unread": list(kpis.unread),
        "metrics": {m.key: plain(asdict(m)) for m in kpis.metrics},
        "deployments": [plain(asdict(d)) for d in kpis.deployments],
    }


def shown(metric: Metric) -> str:
    """The value as the table shows it: a share in percent, hours as hours or days."""
    value = metric.value
    if value is None:
        return NONE
    if metric.unit == "share":
        return f"{value:.0%}"
    if metric.unit.startswith("hours"):
        return f"{value:.1f} h" if value < 48 else f"{value / 24:.1f} days"
    return f"{value:.2f} {metric.unit}"


def counted(metric: Metric) -> str:
    """The counts behind a value, `name n` each."""
    return ", ".join(f"{name.replace('_', ' ')} {_number(n)}" for name, n in metric.counts.items())


def _number(n: float | None) -> str:
    if n is None:
        return NONE
    return f"{n:g}" if float(n).is_integer() else f"{n:.1f}"


def as_markdown(kpis: Kpis, repository: str, charts: dict[str, str] | None = None) -> str:
    """The report: status line, one row per metric, the deployments, the definitions."""
    lines = [
        "## Delivery metrics",
        "",
        f"`{repository}`, production deployments from {kpis.since:%Y-%m-%d} to"
        f" {kpis.until:%Y-%m-%d} (UTC).",
        "",
    ]
    if kpis.stopped is not None:
        unread = ", ".join(kpis.unread) or "nothing"
        lines += [
            f"**Incomplete**: reading stopped at GitHub's rate limit ({kpis.stopped}). The numbers"
            f" below cover what was read; read in part or not at all: {unread}. Run again"
            " after the reset.",
            "",
        ]
    lines += ["| metric | value | DORA 2023 band | from |", "|---|---|---|---|"]
    for metric in kpis.metrics:
        band = metric.band or ("—" if metric.key in DORA_KEYS else "n/a (not a DORA key)")
        chart = f" ([chart]({charts[metric.key]}))" if charts and metric.key in charts else ""
        lines.append(f"| {metric.title}{chart} | {shown(metric)} | {band} | {counted(metric)} |")
    lines += ["", "### Deployments in the window", ""]
    if not kpis.deployments:
        lines.append(f"{NONE}: no production deployment in the window.")
    else:
        lines += [
            "| created | commit | attempts | result | live | failed | commits shipped |",
            "|---|---|---|---|---|---|---|",
        ]
        for d in kpis.deployments:
            result = d.result.replace("_", " ") + (" (a rollback)" if d.rollback else "")
            lines.append(
                f"| {d.created_at:%Y-%m-%d %H:%M} | `{d.sha[:7]}` | {d.attempts} | {result}"
                f" | {_when(d.live_at)} | {_when(d.failed_at)} | {d.shipped} |"
            )
    listed = (measures.__doc__ or "").split("\n\n", 1)[-1]
    definitions = listed[listed.find("- ") :].strip()  # the list, without its lead-in
    lines += ["", "### Definitions", "", definitions, ""]
    return "\n".join(lines)


DORA_KEYS = ("deployment_frequency", "lead_time", "change_failure_rate", "recovery_time")


def _when(moment: datetime | None) -> str:
    return "—" if moment is None else f"{moment:%Y-%m-%d %H:%M}"
