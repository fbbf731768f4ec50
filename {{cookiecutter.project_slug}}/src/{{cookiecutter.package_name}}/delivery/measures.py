"""DORA's four keys and the ML ones, computed from the record (pure: no network, no files).

Definitions (the README's "Delivery metrics" and every report repeat them):
- a deployment is a production deployment; re-run attempts of it (the same commit from the
  same workflow run, listed one after another) are one deployment, judged by its last attempt;
- it went live at its first `success` status; it failed at its first `failure` or `error`;
  it was rolled back when a later deployment went back to an earlier commit (the comparison
  says `behind`) or when it was marked `inactive` while still the live one;
- deployment frequency: deployments that went live, per week of the window;
- lead time for changes: per commit, from its committer date to the first deployment
  containing it going live (the commits between it and the previous live deployment's);
  median and 90th percentile (nearest rank);
- change failure rate: deployments that failed or were rolled back / all deployments that
  finished (in progress ones wait), whether they shipped commits or not;
- failed-deployment recovery time: from the failure (or the start of the rollback) to the
  next deployment going live;
- champion changes: published releases (each points the MLflow alias `champion` at the model
  it ships), per 30 days, and the days between them;
- gate pass rate: pull-request runs of CI whose gate step passed / those where it ran;
- data to serving: from a commit that changed the data dvc.lock records for the stage `data`
  to the first deployment containing it going live.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from {{ cookiecutter.package_name }}.delivery.history import (
    Commit,
    Deployment,
    History,
    weeks,
)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
WEEK = timedelta(days=7)
MONTH = timedelta(days=30)

# DORA's 2023 bands (Accelerate State of DevOps 2023), as limits: a value at most the limit
# gets the band. The report's clusters put medium's typical change failure rate (10%) below
# high's (20%); so its band is the cluster whose typical rate is nearest.
FREQUENCY_BANDS = (("elite", 7.0), ("high", 1.0), ("medium", 7 / 30))  # per week, at least
LEAD_TIME_BANDS = (("elite", DAY), ("high", WEEK), ("medium", MONTH))  # less than
RECOVERY_BANDS = (("elite", HOUR), ("high", DAY), ("medium", WEEK))  # less than
FAILURE_RATE_CLUSTERS = (("elite", 0.05), ("medium", 0.10), ("high", 0.20), ("low", 0.64))


@dataclass(frozen=True)
class Delivered:
    """A deployment (its attempts taken together) and what happened to it."""

    sha: str
    created_at: datetime
    attempts: int
    result: str  # success | failed | rolled_back | in_progress | no_status
    live_at: datetime | None
    failed_at: datetime | None
    rollback: bool  # it went back to an earlier commit
    shipped: int  # commits it was the first to bring live


@dataclass(frozen=True)
class Point:
    """One value of a metric's series: the start of its period (or the event's time)."""

    at: datetime
    value: float | None


@dataclass(frozen=True)
class Metric:
    """A metric of the window: its value (None: nothing to measure), band, counts and series."""

    key: str
    title: str
    unit: str
    value: float | None
    band: str | None = None
    counts: Mapping[str, float | None] = field(default_factory=dict)
    series: tuple[Point, ...] = ()


@dataclass(frozen=True)
class Kpis:
    """Every metric of the window, the deployments behind them, and whether reading finished."""

    since: datetime
    until: datetime
    metrics: tuple[Metric, ...]
    deployments: tuple[Delivered, ...]
    stopped: str | None
    unread: tuple[str, ...]


def merge_attempts(deployments: Sequence[Deployment]) -> list[list[Deployment]]:
    """Consecutive deployments of the same commit from the same run are one (a re-run)."""
    groups: list[list[Deployment]] = []
    for deployment in deployments:
        last = groups[-1][-1] if groups else None
        if last is not None and (last.sha, last.run_id) == (deployment.sha, deployment.run_id):
            groups[-1].append(deployment)
        else:
            groups.append([deployment])
    return groups


@dataclass
class _Track:
    """What is learnt about one deployment while reading the record in order."""

    attempts: list[Deployment]
    live_at: datetime | None
    failed_at: datetime | None
    rolled_back: bool = False
    rollback: bool = False
    shipped: int = 0

    @property
    def last(self) -> Deployment:
        return self.attempts[-1]

    def fail(self, at: datetime) -> None:
        self.failed_at = at if self.failed_at is None else min(self.failed_at, at)

    def result(self) -> str:
        if self.rolled_back:
            return "rolled_back"
        if self.failed_at is not None:
            return "failed"
        if self.live_at is not None:
            return "success"
        return "in_progress" if self.last.statuses else "no_status"


def delivered(history: History) -> tuple[list[Delivered], dict[str, datetime]]:
    """Each deployment's result, and when each commit first went live (sha: time)."""
    tracks = [
        _Track(group, group[-1].first("success"), group[-1].first("failure", "error"))
        for group in merge_attempts(history.deployments)
    ]
    first_live = _follow_commits(tracks, history)
    _mark_inactive(tracks)
    results = [
        Delivered(
            t.last.sha,
            t.attempts[0].created_at,
            len(t.attempts),
            t.result(),
            t.live_at,
            t.failed_at,
            t.rollback,
            t.shipped,
        )
        for t in tracks
    ]
    return results, first_live


def _follow_commits(tracks: list[_Track], history: History) -> dict[str, datetime]:
    """Credit each commit to the first live deployment containing it; find the rollbacks."""
    first_live: dict[str, datetime] = {}
    previous: _Track | None = None
    for track in tracks:
        if track.live_at is None:
            continue
        if previous is not None:
            comparison = history.comparisons.get((previous.last.sha, track.last.sha))
            if comparison is not None and comparison.status == "behind":
                track.rollback = True  # back to an earlier commit: the previous one failed
                previous.rolled_back = True
                previous.fail(track.attempts[0].created_at)
            for commit in comparison.commits if comparison is not None else ():
                if commit.sha not in first_live:
                    first_live[commit.sha] = track.live_at
                    track.shipped += 1
        previous = track
    return first_live


def _mark_inactive(tracks: list[_Track]) -> None:
    """Marked `inactive` while still the live deployment: rolled back (not superseded)."""
    for i, track in enumerate(tracks):
        inactive = track.last.first("inactive")
        if inactive is None or track.live_at is None or track.failed_at is not None:
            continue
        live_at = track.live_at
        later = (t.live_at for t in tracks[i + 1 :])
        if not any(t is not None and live_at < t <= inactive for t in later):
            track.rolled_back = True
            track.fail(inactive)


def measure(history: History, since: datetime, until: datetime) -> Kpis:
    """The metrics of [since, until) from what was read."""
    all_deployments, first_live = delivered(history)
    window = [d for d in all_deployments if since <= d.created_at < until]
    commits = _commits_of_window(history, first_live, since, until)
    metrics = (
        deployment_frequency(window, since, until),
        lead_time(commits, since, until),
        change_failure_rate(window, since, until),
        recovery_time(all_deployments, window),
        champion_changes(history, since, until),
        gate_pass_rate(history, since, until),
        data_to_serving(history.data_changes, first_live, since, until),
    )
    return Kpis(since, until, metrics, tuple(window), history.stopped, tuple(history.unread))


def _commits_of_window(
    history: History, first_live: dict[str, datetime], since: datetime, until: datetime
) -> list[tuple[datetime, float]]:
    """(went live, lead time in hours) of each commit that first went live in the window."""
    committed = {
        c.sha: c.committed_at
        for comparison in history.comparisons.values()
        if comparison is not None
        for c in comparison.commits
    }
    return sorted(
        (at, (at - committed[sha]) / HOUR) for sha, at in first_live.items() if since <= at < until
    )


def deployment_frequency(window: list[Delivered], since: datetime, until: datetime) -> Metric:
    """Deployments that went live, per week."""
    live = [d.live_at for d in window if d.live_at is not None and d.live_at < until]
    per_week = len(live) / ((until - since) / WEEK)
    series = tuple(
        Point(start, float(sum(start <= t < end for t in live)))
        for start, end in weeks(since, until)
    )
    value = per_week if window else None
    band = None if value is None else _at_least(value, FREQUENCY_BANDS)
    counts: dict[str, float | None] = {"deployments_live": len(live), "deployments": len(window)}
    return Metric(
        "deployment_frequency", "Deployment frequency", "per week", value, band, counts, series
    )


def lead_time(commits: list[tuple[datetime, float]], since: datetime, until: datetime) -> Metric:
    """Median (and 90th percentile) hours from commit to its first live deployment."""
    hours = [h for _, h in commits]
    series = tuple(
        Point(start, _median([h for t, h in commits if start <= t < end]))
        for start, end in weeks(since, until)
    )
    median = _median(hours)
    band = None if median is None else _less_than(median * HOUR, LEAD_TIME_BANDS)
    counts = {"commits": float(len(hours)), "p90_hours": _nearest_rank(hours, 0.9)}
    return Metric(
        "lead_time", "Lead time for changes", "hours (median)", median, band, counts, series
    )


def change_failure_rate(window: list[Delivered], since: datetime, until: datetime) -> Metric:
    """Deployments that failed or were rolled back / deployments that finished."""

    def rate(deployments: list[Delivered]) -> float | None:
        finished = [d for d in deployments if d.result in ("success", "failed", "rolled_back")]
        bad = [d for d in finished if d.result != "success"]
        return len(bad) / len(finished) if finished else None

    series = tuple(
        Point(start, rate([d for d in window if start <= d.created_at < end]))
        for start, end in weeks(since, until)
    )
    value = rate(window)
    counts: dict[str, float | None] = {
        result: float(sum(d.result == result for d in window))
        for result in ("success", "failed", "rolled_back", "in_progress", "no_status")
    }
    band = None if value is None else min(FAILURE_RATE_CLUSTERS, key=lambda c: abs(c[1] - value))[0]
    return Metric(
        "change_failure_rate", "Change failure rate", "share", value, band, counts, series
    )


def recovery_time(everything: list[Delivered], window: list[Delivered]) -> Metric:
    """Hours from each failure in the window to the next deployment going live."""
    points = []
    still_failing = 0
    for deployment in window:
        failed_at = deployment.failed_at
        if failed_at is None:
            continue
        later = everything[everything.index(deployment) + 1 :]
        recovered = min(
            (d.live_at for d in later if d.live_at is not None and d.live_at >= failed_at),
            default=None,
        )
        if recovered is None:
            still_failing += 1
        else:
            points.append(Point(failed_at, (recovered - failed_at) / HOUR))
    hours = [p.value for p in points if p.value is not None]
    median = _median(hours)
    band = None if median is None else _less_than(median * HOUR, RECOVERY_BANDS)
    counts = {"recovered": float(len(hours)), "not_recovered": float(still_failing)}
    return Metric(
        "recovery_time",
        "Failed deployment recovery time",
        "hours (median)",
        median,
        band,
        counts,
        tuple(points),
    )


def champion_changes(history: History, since: datetime, until: datetime) -> Metric:
    """Releases (the champion's changes) per 30 days, and the days between them."""
    times = [r.published_at for r in history.releases]
    gaps = [(b - a) / DAY for a, b in itertools.pairwise(times)]
    per_month = len(times) / ((until - since) / MONTH)
    series = tuple(Point(t, g) for t, g in zip(times[1:], gaps, strict=False))
    counts = {"releases": float(len(times)), "median_days_between": _median(gaps)}
    return Metric(
        "champion_changes",
        "Champion changes",
        "per 30 days",
        per_month if times else None,
        None,
        counts,
        series,
    )


def gate_pass_rate(history: History, since: datetime, until: datetime) -> Metric:
    """Pull-request runs whose gate passed / runs where the gate gave a verdict."""
    runs = history.gate_runs

    def rate(chosen: list[bool]) -> float | None:
        return sum(chosen) / len(chosen) if chosen else None

    series = tuple(
        Point(start, rate([r.passed for r in runs if start <= r.created_at < end]))
        for start, end in weeks(since, until)
    )
    counts = {
        "runs": float(len(runs)),
        "passed": float(sum(r.passed for r in runs)),
        "pull_requests": float(len({r.pull_request for r in runs if r.pull_request is not None})),
    }
    return Metric(
        "gate_pass_rate",
        "Gate pass rate (pull requests)",
        "share",
        rate([r.passed for r in runs]),
        None,
        counts,
        series,
    )


def data_to_serving(
    changes: list[Commit], first_live: dict[str, datetime], since: datetime, until: datetime
) -> Metric:
    """Hours from a data change (dvc.lock) to the first live deployment containing it."""
    points = [
        Point(c.committed_at, (first_live[c.sha] - c.committed_at) / HOUR)
        for c in changes
        if c.sha in first_live
    ]
    hours = [p.value for p in points if p.value is not None]
    counts = {
        "data_changes": float(len(changes)),
        "not_serving_yet": float(len(changes) - len(points)),
    }
    return Metric(
        "data_to_serving",
        "Data change to serving model",
        "hours (median)",
        _median(hours),
        None,
        counts,
        tuple(points),
    )


def _median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def _nearest_rank(values: Sequence[float], share: float) -> float | None:
    """The smallest value with at least `share` of them at or below it."""
    if not values:
        return None
    return float(sorted(values)[math.ceil(share * len(values)) - 1])


def _at_least(value: float, bands: tuple[tuple[str, float], ...]) -> str:
    return next((name for name, limit in bands if value >= limit), "low")


def _less_than(value: timedelta, bands: tuple[tuple[str, timedelta], ...]) -> str:
    return next((name for name, limit in bands if value < limit), "low")
