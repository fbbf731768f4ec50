"""One PNG chart per metric over the window (matplotlib, drawn off-screen)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from {{ cookiecutter.package_name }}.core.files import write_atomically
from {{ cookiecutter.package_name }}.delivery.history import weeks
from {{ cookiecutter.package_name }}.delivery.measures import Kpis, Metric

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
WEEKLY = ("deployment_frequency", "lead_time", "change_failure_rate", "gate_pass_rate")


def draw(kpis: Kpis, folder: Path) -> dict[str, Path]:
    """Write delivery-<metric>.png for each metric into `folder`; their paths by metric."""
    import matplotlib as mpl

    mpl.use("Agg")  # no display: files only
    from matplotlib.figure import Figure

    paths = {}
    for metric in kpis.metrics:
        # A bare Figure (no pyplot state) with fixed margins: no layout pass to compute.
        figure = Figure(figsize=(7, 3.2), dpi=100)
        figure.subplots_adjust(left=0.09, right=0.98, top=0.9, bottom=0.2)
        axes = figure.add_subplot()
        _plot(axes, metric)
        axes.set_xlim(_days(kpis.since), _days(kpis.until))
        starts = [start for start, _ in weeks(kpis.since, kpis.until)]
        # A tick at each week's start, where its bar begins.
        axes.set_xticks([_days(t) for t in starts], labels=[f"{t:%b %d}" for t in starts])
        axes.tick_params(axis="x", labelsize=8, labelrotation=45)
        path = folder / f"delivery-{metric.key.replace('_', '-')}.png"
        write_atomically(path, partial(_save, figure))
        paths[metric.key] = path
    return paths


def _days(moment: datetime) -> float:
    """Matplotlib's dates: days since its epoch (rcParams date.epoch, 1970-01-01 UTC)."""
    return (moment - EPOCH) / timedelta(days=1)


def _save(figure: Figure, path: Path) -> None:
    figure.savefig(path, format="png")


def _plot(axes: Axes, metric: Metric) -> None:
    known = [(p.at, p.value) for p in metric.series if p.value is not None]
    scale = 100.0 if metric.unit == "share" else 1.0
    unit = "%" if metric.unit == "share" else metric.unit.split(" (")[0]
    when = [_days(at) for at, _ in known]
    values = [value * scale for _, value in known]
    if metric.key in WEEKLY:
        axes.bar(when, values, width=6, align="edge", color="#4c72b0")
        title = f"{metric.title}, by week"
    else:
        axes.plot(when, values, "o", color="#dd8452")
        title = f"{metric.title}, per event"
    if metric.value is not None:
        axes.axhline(
            metric.value * scale,
            color="grey",
            linestyle="--",
            linewidth=1,
            label="the window's value",
        )
        axes.legend(loc="best", fontsize=8)
    if metric.value is None:
        axes.text(
            0.5,
            0.5,
            "none in the window",
            transform=axes.transAxes,
            ha="center",
            va="center",
            color="grey",
        )
    band = f" — DORA band: {metric.band}" if metric.band else ""
    axes.set_title(title + band, fontsize=10)
    axes.set_ylabel(unit)
    axes.set_ylim(bottom=0, top=None if values and max(values) > 0 else 1)
    axes.grid(axis="y", alpha=0.3)
