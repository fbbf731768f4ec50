"""The gate: per-metric rules, fail-closed inputs, the target-branch baseline, overrides."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.gate import (
    Decision,
    GateInputError,
    compare,
    judge,
    load_baseline,
    to_markdown,
)
from {{ cookiecutter.package_name }}.params import MetricRule

HIGHER = MetricRule(direction="higher", tolerance=0.01, limit=0.7)
LOWER = MetricRule(direction="lower", tolerance=0.01, limit=0.2)
BASELINE = Path("metrics/baseline.json")  # relative, as in params.yaml


def result(**metrics: float) -> dict:
    return {"metrics": metrics, "golden": {"sha256": "g1"}, "contract_sha256": "c1"}


@pytest.mark.parametrize(
    ("rule", "baseline", "candidate", "passed"),
    [
        (HIGHER, 0.80, 0.80, True),  # a tie passes
        (HIGHER, 0.80, 0.85, True),  # better passes
        (HIGHER, 0.80, 0.795, True),  # within tolerance
        (HIGHER, 0.80, 0.78, False),  # worse beyond tolerance
        (LOWER, 0.15, 0.15, True),
        (LOWER, 0.15, 0.155, True),
        (LOWER, 0.15, 0.17, False),
        (LOWER, 0.15, 0.10, True),
    ],
)
def test_metric_is_judged_by_direction_and_tolerance(rule, baseline, candidate, passed):
    assert judge("m", rule, baseline, candidate).passed is passed


def test_value_past_the_absolute_limit_fails_even_when_baseline_is_as_bad():
    verdict = judge("auc", HIGHER, baseline=0.65, candidate=0.65)

    assert not verdict.passed
    assert "floor" in verdict.reason


@pytest.mark.parametrize(("baseline", "candidate"), [(math.nan, 0.8), (0.8, math.nan), (0.8, None)])
def test_nan_or_missing_values_fail(baseline, candidate):
    assert not judge("auc", HIGHER, baseline, candidate).passed


def test_metric_missing_from_the_candidate_fails():
    verdicts, problems = compare(result(auc=0.8), result(), {"auc": HIGHER})

    assert not problems
    assert not verdicts[0].passed


def test_different_golden_set_fails_closed():
    candidate = result(auc=0.9) | {"golden": {"sha256": "other"}}

    _, problems = compare(result(auc=0.8), candidate, {"auc": HIGHER})

    assert any("golden set differs" in problem for problem in problems)


def test_different_contract_fails_closed():
    candidate = result(auc=0.9) | {"contract_sha256": "c2"}

    _, problems = compare(result(auc=0.8), candidate, {"auc": HIGHER})

    assert any("contract" in problem for problem in problems)


def test_override_passes_a_failing_gate_and_is_recorded():
    verdicts, problems = compare(result(auc=0.8), result(auc=0.5), {"auc": HIGHER})
    decision = Decision(verdicts, problems, "HEAD:metrics/baseline.json", "abc", "g1", "hotfix")

    assert decision.failed
    assert decision.passed
    assert "OVERRIDDEN" in to_markdown(decision)
    assert "hotfix" in to_markdown(decision)


def test_report_table_shows_each_metric_with_baseline_and_candidate():
    verdicts, problems = compare(result(auc=0.8), result(auc=0.7), {"auc": HIGHER})

    report = to_markdown(Decision(verdicts, problems, "ref", "abc", "g1"))

    assert "FAILED" in report
    assert "| auc | higher | 0.8000 | 0.7000 | -0.1000 |" in report


@pytest.fixture
def repository(tmp_path, monkeypatch):
    """A git repository with one commit holding metrics/baseline.json (auc 0.8)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GATE_BASELINE_REF", raising=False)

    def git(*args: str) -> None:
        subprocess.run(["git", *args], check=True, capture_output=True)

    git("init", "--quiet", "--initial-branch=main")
    git("config", "user.email", "test@example.com")
    git("config", "user.name", "test")
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics/baseline.json").write_text(json.dumps(result(auc=0.8)))
    git("add", ".")
    git("commit", "--quiet", "-m", "baseline")
    return git


def test_baseline_comes_from_the_ref_not_the_working_tree(repository, tmp_path):
    (tmp_path / "metrics/baseline.json").write_text(json.dumps(result(auc=0.1)))

    baseline, source, _ = load_baseline(BASELINE, "main")

    assert baseline["metrics"]["auc"] == 0.8
    assert source.startswith("main:")


def test_a_lowered_baseline_committed_on_a_branch_is_ignored(repository, tmp_path, monkeypatch):
    repository("checkout", "--quiet", "-b", "feature")
    (tmp_path / "metrics/baseline.json").write_text(json.dumps(result(auc=0.1)))
    repository("commit", "--quiet", "-am", "lower the bar")
    monkeypatch.setenv("GATE_BASELINE_REF", "main")

    baseline, _, _ = load_baseline(BASELINE, "origin/main")

    assert baseline["metrics"]["auc"] == 0.8


def test_unknown_explicit_ref_fails_closed(repository, tmp_path, monkeypatch):
    monkeypatch.setenv("GATE_BASELINE_REF", "origin/nowhere")

    with pytest.raises(GateInputError, match="origin/nowhere"):
        load_baseline(BASELINE, "main")


def test_baseline_missing_on_the_ref_fails_closed(repository, tmp_path):
    repository("rm", "--quiet", "metrics/baseline.json")
    repository("commit", "--quiet", "-m", "drop baseline")

    with pytest.raises(GateInputError, match="does not exist on main"):
        load_baseline(BASELINE, "main")


def test_unreadable_baseline_fails_closed(repository, tmp_path):
    (tmp_path / "metrics/baseline.json").write_text("{not json")
    repository("commit", "--quiet", "-am", "break it")

    with pytest.raises(GateInputError, match="not valid JSON"):
        load_baseline(BASELINE, "main")
