"""Read one interval's measurements of a variant from Prometheus's HTTP API (query_range).

The queries are the AnalysisTemplate's (deploy/): `variant` is a label the scrape gives each
target, W the interval. A variant without any 5xx has no such series: `or vector(0)` makes it 0.
"""

from __future__ import annotations

import json
import math
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from string import Template
from typing import Any

from {{ cookiecutter.package_name }}.canary.engines import CanaryError
from {{ cookiecutter.package_name }}.canary.judge import Side
from {{ cookiecutter.package_name }}.core.contract import TARGET

SCORE_HISTOGRAM = TARGET.task.score_histogram()[0]

# $variant, $window and $scores are filled in by `query` (string.Template).
QUERIES = {
    "requests": 'sum(increase(http_requests_total{path="/predict",variant="$variant"}[$window]))',
    "errors": (
        'sum(increase(http_requests_total{path="/predict",variant="$variant",status=~"5.."}'
        "[$window])) or vector(0)"
    ),
    "p99": (
        "histogram_quantile(0.99, sum by (le) (increase(http_request_duration_seconds_bucket"
        '{path="/predict",variant="$variant"}[$window])))'
    ),
    "latency": (
        "sum by (le) (increase(http_request_duration_seconds_bucket"
        '{path="/predict",variant="$variant"}[$window]))'
    ),
    "scores": 'sum by (le) (increase(${scores}_bucket{variant="$variant"}[$window]))',
}


class PrometheusError(CanaryError):
    """Prometheus did not answer a query, or answered an error."""


def query(name: str, variant: str, window: str) -> str:
    """The PromQL of one measurement of a variant over a window such as `60s`."""
    return Template(QUERIES[name]).substitute(
        variant=variant, window=window, scores=SCORE_HISTOGRAM
    )


@dataclass(frozen=True)
class Prometheus:
    """A Prometheus server's HTTP API."""

    url: str

    def at(self, promql: str, time: float, step: float) -> list[dict[str, Any]]:
        """The query's series at one instant, by query_range (start = end = time)."""
        arguments = urllib.parse.urlencode(
            {"query": promql, "start": f"{time:.3f}", "end": f"{time:.3f}", "step": f"{step:g}s"}
        )
        try:
            with urllib.request.urlopen(
                f"{self.url}/api/v1/query_range?{arguments}", timeout=10
            ) as answer:
                body = json.load(answer)
        except OSError as error:
            raise PrometheusError(f"Prometheus at {self.url} did not answer: {error}") from error
        if body.get("status") != "success":
            raise PrometheusError(f"Prometheus refused {promql!r}: {body.get('error')}")
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def scalar(self, promql: str, time: float, step: float) -> float | None:
        """A query's one value at `time`; None for no series or NaN (nothing observed)."""
        series = self.at(promql, time, step)
        if not series or not series[0]["values"]:
            return None
        value = float(series[0]["values"][-1][1])
        return None if math.isnan(value) else value

    def wait_for_targets(self, variants: list[str], seconds: float = 30.0) -> None:
        """Wait until Prometheus has scraped each variant's /predict counter at least once.

        Its first scrape of a target comes up to seconds after it reports ready; an interval
        judged before that would read no data.
        """
        deadline = time.monotonic() + seconds
        promql = 'count by (variant) (http_requests_total{path="/predict"})'
        while time.monotonic() < deadline:
            seen = {item["metric"].get("variant") for item in self.at(promql, time.time(), 1)}
            if seen >= set(variants):
                return
            time.sleep(0.2)
        raise PrometheusError(
            f"Prometheus at {self.url} scraped no /predict counter of {', '.join(variants)} in "
            f"{seconds:.0f} s: its log in the engines folder says why"
        )

    def side(self, variant: str, time: float, seconds: float) -> Side:
        """A variant's measurements over the `seconds` ending at `time`."""
        window = f"{round(seconds * 1000)}ms"
        return Side(
            requests=self.scalar(query("requests", variant, window), time, seconds) or 0.0,
            errors=self.scalar(query("errors", variant, window), time, seconds) or 0.0,
            p99=self.scalar(query("p99", variant, window), time, seconds),
            scores=self.histogram(query("scores", variant, window), time, seconds),
            latency=self.histogram(query("latency", variant, window), time, seconds),
        )

    def histogram(self, promql: str, time: float, step: float) -> tuple[tuple[float, float], ...]:
        """Cumulative counts by upper bound (`le`), lowest first."""
        buckets = [
            (float(series["metric"]["le"]), float(series["values"][-1][1]))  # "+Inf": inf
            for series in self.at(promql, time, step)
            if series["values"]
        ]
        return tuple(sorted(buckets))
