"""The canary reports: the verdict and why first, each interval, the charts, the aftermath."""

from __future__ import annotations

import json
from pathlib import Path

from {{ cookiecutter.package_name }}.canary import report
from {{ cookiecutter.package_name }}.canary.judge import (
    Check,
    IntervalResult,
    Outcome,
    Verdict,
)
from {{ cookiecutter.package_name }}.core.params import Params

ERRORS = Check("error_rate", 0.0, 0.05, 0.05, 0.01, passed=False, egregious=False)


def rolled_back(params: Params) -> report.Summary:
    intervals = [
        IntervalResult(index, Outcome.FAILED, (ERRORS,), "error_rate 0.05", 120, 60)
        for index in range(2)
    ]
    return report.Summary(
        Verdict.ROLL_BACK,
        "rolled back after 2 failed interval(s)",
        "the challenger's share is 0 (nginx reloaded)",
        params.deploy,
        intervals,
        {"challenger": {"registered_model": "m", "version": "7", "run_id": "r"}},
        {
            "client_p99_seconds": 0.012,
            "share_zero_after_seconds": 6.5,
            "challenger_requests_after_roll_back": 0.0,
        },
    )


def test_the_reports_say_the_verdict_why_and_what_followed(params: Params, tmp_path: Path) -> None:
    report.write(rolled_back(params), tmp_path)

    markdown = (tmp_path / "canary.md").read_text()
    assert markdown.startswith("# Canary: roll back\n")
    assert "nginx reloaded" in markdown
    assert "0 requests reached the challenger" in markdown
    assert "| 2 | 120 | 60 | failed | error_rate 0.05 |" in markdown
    html = (tmp_path / "canary.html").read_text()
    assert "<h1>Canary: roll back</h1>" in html
    assert all(f'id="chart-{metric}"' in html for metric, _, _ in report.CHARTS)
    saved = json.loads((tmp_path / "canary.json").read_text())
    assert saved["verdict"] == "roll back"
    assert saved["intervals"][1]["checks"][0]["metric"] == "error_rate"
    assert saved["models"]["challenger"]["version"] == "7"


def test_a_shadow_run_reports_how_often_the_two_answered_alike(
    params: Params, tmp_path: Path
) -> None:
    summary = rolled_back(params)
    paired = {
        "paired": 1200,
        "labels_agree": 0.995,
        "mean_score_difference": 0.0123,
        "max_score_difference": 0.2,
    }
    shadow = report.Summary(
        Verdict.PROMOTE,
        "passed",
        "",
        params.deploy,
        summary.intervals,
        summary.models,
        {"client_p99_seconds": 0.01, "shadow_agreement": paired},
    )

    report.write(shadow, tmp_path)

    markdown = (tmp_path / "canary.md").read_text()
    assert "Paired agreement over 1,200 ids: 99.5% same label" in markdown
    assert "by 0.0123 on average (at most 0.2000)" in markdown
    assert json.loads((tmp_path / "canary.json").read_text())["run"]["shadow_agreement"] == paired
