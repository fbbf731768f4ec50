"""Delivery metrics against GitHub's REST API served on loopback (tests/delivery/github_fake.py).

Every metric has a known answer in the scenario (github_fake.known_scenario), worked out by
hand from its timestamps; listings span pages, and the rate limit is met.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.core.github import GitHub
from {{ cookiecutter.package_name }}.delivery.history import (
    Deployment,
    History,
    Status,
    read_history,
)
from {{ cookiecutter.package_name }}.delivery.measures import Kpis, delivered, measure
from {{ cookiecutter.package_name }}.delivery.report import as_markdown

from .github_fake import REPO, WINDOW, FakeGitHub, known_scenario, serving, sha

SINCE, UNTIL = (datetime.fromisoformat(day).replace(tzinfo=UTC) for day in WINDOW)


def kpis_of(fake: FakeGitHub) -> Kpis:
    with serving(fake) as running:
        github = GitHub(running.url, "token", sleep=lambda _: None)
        return measure(read_history(github, REPO, SINCE, UNTIL), SINCE, UNTIL)


@pytest.fixture(scope="module")
def kpis() -> Kpis:
    return kpis_of(FakeGitHub(known_scenario()))


def metric(kpis: Kpis, key: str) -> tuple[float | None, str | None, dict[str, float | None]]:
    found = next(m for m in kpis.metrics if m.key == key)
    return found.value, found.band, dict(found.counts)


def test_deployments_merge_re_runs_and_keep_failures_without_commits(kpis: Kpis) -> None:
    rows = [(d.sha, d.attempts, d.result, d.rollback, d.shipped) for d in kpis.deployments]

    assert rows == [
        (sha("c2"), 1, "success", False, 2),
        (sha("c3"), 2, "success", False, 1),  # failed, then re-run in the same run: one
        (sha("c4"), 1, "rolled_back", False, 1),
        (sha("c3"), 1, "success", True, 0),  # the rollback to an earlier commit
        (sha("c5"), 1, "failed", False, 0),
        (sha("c6"), 1, "success", False, 2),  # c4 again, already shipped: not counted twice
        (sha("c6"), 1, "failed", False, 0),  # a failed redeploy with no commit of its own
        (sha("c7"), 1, "in_progress", False, 0),
    ]


def test_deployment_frequency_counts_deployments_that_went_live_per_week(kpis: Kpis) -> None:
    value, band, counts = metric(kpis, "deployment_frequency")

    assert value == pytest.approx(5 / 4)
    assert band == "high"
    assert counts == {"deployments_live": 5, "deployments": 8}


def test_lead_time_is_per_commit_to_its_first_live_deployment(kpis: Kpis) -> None:
    value, band, counts = metric(kpis, "lead_time")

    # c1 24.5 h, c2 2.5 h, c3 24 h, c4 24 h, c5 48 h 5 min, c6 1 h
    assert value == pytest.approx(24.0)
    assert counts["p90_hours"] == pytest.approx(48 + 5 / 60)
    assert counts["commits"] == 6
    assert band == "high"


def test_change_failure_rate_divides_by_all_finished_deployments(kpis: Kpis) -> None:
    value, band, counts = metric(kpis, "change_failure_rate")

    assert value == pytest.approx(3 / 7)  # rolled back c4, failed c5, failed c6 redeploy
    assert counts["in_progress"] == 1
    assert band == "low"  # nearest of the 2023 clusters (64% low, 20% high)


def test_recovery_time_runs_from_failure_to_the_next_live_deployment(kpis: Kpis) -> None:
    value, band, counts = metric(kpis, "recovery_time")

    assert value == pytest.approx((5 / 60 + 24) / 2)  # the rollback 5 min, c5's error a day
    assert counts == {"recovered": 2, "not_recovered": 1}
    assert band == "high"


def test_champion_changes_are_the_published_releases(kpis: Kpis) -> None:
    value, _, counts = metric(kpis, "champion_changes")

    assert value == pytest.approx(2 / (28 / 30))  # v1.1.0 and v1.2.0: no pre-release, draft
    assert counts == {"releases": 2, "median_days_between": 15.0}


def test_gate_pass_rate_counts_runs_where_the_gate_judged(kpis: Kpis) -> None:
    value, _, counts = metric(kpis, "gate_pass_rate")

    assert value == pytest.approx(2 / 3)  # skipped gate and no gate job left out
    assert counts == {"runs": 3, "passed": 2, "pull_requests": 2}


def test_data_to_serving_follows_data_changes_in_dvc_lock(kpis: Kpis) -> None:
    value, _, counts = metric(kpis, "data_to_serving")

    assert value == pytest.approx((2.5 + 48 + 5 / 60) / 2)  # c2 and c5; c4 changed code only
    assert counts == {"data_changes": 3, "not_serving_yet": 1}  # c7 waits for its deployment


def test_every_listing_is_read_past_its_first_page() -> None:
    fake = FakeGitHub(known_scenario())
    kpis_of(fake)

    pages = [p for p in fake.paths if "/deployments?" in p]
    assert len(pages) == 5  # ten deployments, two a page
    assert any("page=2" in p for p in fake.paths if "/compare/" in p)


def test_a_listing_over_githubs_cap_is_read_in_smaller_spans() -> None:
    # Capped at one run a listing, the first week's two runs come from two narrower spans.
    kpis = kpis_of(FakeGitHub(known_scenario(), listing_cap=1))

    value, _, counts = metric(kpis, "gate_pass_rate")
    assert value == pytest.approx(2 / 3)
    assert counts["runs"] == 3


def test_a_spent_rate_limit_stops_with_the_numbers_so_far() -> None:
    kpis = kpis_of(FakeGitHub(known_scenario(), refuse_after=12))

    assert kpis.stopped is not None
    assert "rate limit" in kpis.stopped
    assert "after 13 requests" in kpis.stopped  # the 13th was refused
    assert kpis.unread == ("deployments", "releases", "gate_runs", "data_changes")
    assert kpis.deployments[-1].sha == sha("c7")  # the newest deployments, read so far
    assert len(kpis.deployments) < 8
    assert "**Incomplete**: reading stopped at GitHub's rate limit" in as_markdown(kpis, REPO)


def test_a_retry_after_is_waited_out() -> None:
    waits: list[float] = []
    fake = FakeGitHub(known_scenario(), retry_after=3)
    with serving(fake) as running:
        github = GitHub(running.url, "token", sleep=waits.append)
        history = read_history(github, REPO, SINCE, UNTIL)

    assert waits == [3.0]
    assert history.stopped is None
    assert len(history.deployments) == 10


def test_a_window_without_deployments_says_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving(FakeGitHub(known_scenario())) as running:
        monkeypatch.setenv("GITHUB_API_URL", running.url)
        monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
        monkeypatch.setenv("GITHUB_TOKEN", "token")
        status = main(
            [
                "delivery",
                "--until",
                "2026-09-01",
                "--days",
                "14",
                "--output-dir",
                str(tmp_path),
            ]
        )

    assert status == 0
    report = json.loads((tmp_path / "delivery.json").read_text())
    assert all(m["value"] is None for m in report["metrics"].values())
    markdown = (tmp_path / "delivery.md").read_text()
    assert "Deployment frequency ([chart](delivery-deployment-frequency.png)) | none |" in markdown
    assert "none: no production deployment in the window." in markdown
    assert len(list(tmp_path.glob("delivery-*.png"))) == 7


def test_the_command_writes_json_markdown_and_a_chart_per_metric(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving(FakeGitHub(known_scenario())) as running:
        monkeypatch.setenv("GITHUB_API_URL", running.url)
        monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
        status = main(
            ["delivery", "--until", WINDOW[1], "--days", "28", "--output-dir", str(tmp_path)]
        )

    assert status == 0
    report = json.loads((tmp_path / "delivery.json").read_text())
    assert report["complete"] is True
    assert report["metrics"]["change_failure_rate"]["value"] == pytest.approx(3 / 7)
    markdown = (tmp_path / "delivery.md").read_text()
    assert (
        "| Change failure rate ([chart](delivery-change-failure-rate.png)) | 43% | low |"
        in markdown
    )
    assert "### Definitions\n\n- a deployment is a production deployment;" in markdown
    for png in tmp_path.glob("delivery-*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_wrong_repository_variable_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_REPOSITORY", "churn")

    assert main(["delivery"]) == 4
    assert (
        "GITHUB_REPOSITORY='churn': set it to the repository as owner/name"
        in capsys.readouterr().err
    )


def test_an_unknown_repository_exits_15_naming_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with serving(FakeGitHub(known_scenario())) as running:
        monkeypatch.setenv("GITHUB_API_URL", running.url)
        monkeypatch.setenv("GITHUB_REPOSITORY", "octo-org/nope")
        status = main(["delivery", "--output-dir", str(tmp_path)])

    assert status == 15
    assert "GITHUB_REPOSITORY is wrong" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_an_unreachable_api_exits_15_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with serving(FakeGitHub(known_scenario())) as running:
        closed = running.url  # nothing listens there once the block ends
    monkeypatch.setenv("GITHUB_API_URL", closed)
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)

    assert main(["delivery"]) == 15
    assert "is GITHUB_API_URL right?" in capsys.readouterr().err


def test_the_gate_names_are_ci_ymls() -> None:
    from {{ cookiecutter.package_name }}.delivery.history import GATE_JOB, GATE_STEP

    ci = (Path(__file__).parents[2] / ".github" / "workflows" / "ci.yml").read_text()
    assert f"name: {GATE_JOB}\n" in ci
    assert f"- name: {GATE_STEP}\n" in ci


def test_inactive_while_live_is_a_rollback_and_inactive_once_superseded_is_not() -> None:
    def at(hour: int) -> datetime:
        return datetime(2026, 10, 6, hour, tzinfo=UTC)

    def deployed(number: int, name: str, *states: tuple[str, int]) -> Deployment:
        statuses = tuple(Status(state, at(hour)) for state, hour in states)
        return Deployment(number, sha(name), at(states[0][1] - 1), statuses, str(number))

    history = History(
        deployments=[
            deployed(1, "c1", ("success", 2), ("inactive", 5)),  # superseded by 2 at 4
            deployed(2, "c2", ("success", 4), ("inactive", 6)),  # pulled while live
            deployed(3, "c3", ("success", 8)),
        ]
    )

    rows, _ = delivered(history)

    assert [(d.result, d.failed_at) for d in rows] == [
        ("success", None),
        ("rolled_back", at(6)),
        ("success", None),
    ]
