"""The gate: per-metric rules, fail-closed inputs, rule changes and overrides.

It judges against the target branch's baseline and rules.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from {{ cookiecutter.package_name }}.core.files import sha256_of
from {{ cookiecutter.package_name }}.core.params import MetricRule, Params, load_params
from {{ cookiecutter.package_name }}.core.records import GoldenReport, GoldenSet
from {{ cookiecutter.package_name }}.core.rules import judge, judge_metrics
from {{ cookiecutter.package_name }}.core.settings import GateSettings
from {{ cookiecutter.package_name }}.core.target_branch import (
    GateInputError,
    load_reference,
    rule_changes,
    strictest,
)
from {{ cookiecutter.package_name }}.gate.check import (
    GateDecision,
    Override,
    decide,
    to_markdown,
)

from ..conftest import PROJECT
from ..records_data import baseline, golden_report

CI_BASE = "main"  # GATE_BASELINE_REF as CI sets it: the pull request's base

HIGHER = MetricRule(direction="higher", tolerance=0.01, limit=0.7)
LOWER = MetricRule(direction="lower", tolerance=0.01, limit=0.2)


def result(**metrics: float) -> GoldenReport:
    return golden_report(metrics, sha256="g1", contract_sha256="c1")


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
def test_metric_is_judged_by_direction_and_tolerance(
    rule: MetricRule, baseline: float, candidate: float, passed: bool
) -> None:
    assert judge("m", rule, baseline, candidate).passed is passed


def test_value_past_the_absolute_limit_fails_even_when_baseline_is_as_bad() -> None:
    verdict = judge("auc", HIGHER, baseline=0.65, candidate=0.65)

    assert not verdict.passed
    assert "floor" in verdict.reason


def test_every_broken_rule_of_a_metric_is_listed() -> None:
    verdict = judge("auc", HIGHER, baseline=0.8, candidate=0.5)

    assert len(verdict.reasons) == 2
    assert "worse than baseline by 0.3" in verdict.reason
    assert "below the floor of 0.7" in verdict.reason


@pytest.mark.parametrize(("baseline", "candidate"), [(math.nan, 0.8), (0.8, math.nan), (0.8, None)])
def test_nan_or_missing_values_fail(baseline: float | None, candidate: float | None) -> None:
    assert not judge("auc", HIGHER, baseline, candidate).passed


def test_metric_missing_from_the_candidate_fails() -> None:
    verdicts, problems = judge_metrics(result(auc=0.8), result(), {"auc": HIGHER})

    assert not problems
    assert not verdicts[0].passed


def test_metric_added_by_the_change_without_a_baseline_is_judged_by_its_limit() -> None:
    verdicts, _ = judge_metrics(
        result(), result(auc=0.8, f1=0.1), {"auc": HIGHER, "f1": HIGHER}, added=frozenset({"auc"})
    )

    assert verdicts[0].passed  # no baseline value, within its floor
    assert not verdicts[1].passed  # a metric of the target's rules still needs its baseline


def test_different_golden_set_fails_closed() -> None:
    other = GoldenSet(path="data/golden.csv", sha256="other", rows=500)
    candidate = result(auc=0.9).model_copy(update={"golden": other})

    _, problems = judge_metrics(result(auc=0.8), candidate, {"auc": HIGHER})

    assert any("golden set differs" in problem for problem in problems)


def test_different_contract_fails_closed() -> None:
    candidate = result(auc=0.9).model_copy(update={"contract_sha256": "c2"})

    _, problems = judge_metrics(result(auc=0.8), candidate, {"auc": HIGHER})

    assert any("contract" in problem for problem in problems)


def test_override_passes_a_failing_gate_and_says_who_and_why() -> None:
    verdicts, problems = judge_metrics(result(auc=0.8), result(auc=0.5), {"auc": HIGHER})
    override = Override("re-baseline after the golden-set fix", by="@maintainer")
    decision = GateDecision(verdicts, problems, "origin/main", "abc", "g1", override)

    assert decision.failed
    assert decision.passed
    report = to_markdown(decision)
    assert "OVERRIDDEN" in report
    assert "**Override** by @maintainer: re-baseline after the golden-set fix" in report


def test_a_refused_override_is_reported_and_does_not_pass() -> None:
    verdicts, problems = judge_metrics(result(auc=0.8), result(auc=0.5), {"auc": HIGHER})
    override = Override(None, refused="label applied by @someone without write access")

    decision = GateDecision(verdicts, problems, "origin/main", "abc", "g1", override)

    assert not decision.passed
    assert "Override refused:** label applied by @someone" in to_markdown(decision)


def test_report_table_shows_each_metric_with_baseline_and_candidate() -> None:
    verdicts, problems = judge_metrics(result(auc=0.8), result(auc=0.75), {"auc": HIGHER})

    report = to_markdown(GateDecision(verdicts, problems, "ref", "abc", "g1"))

    assert "FAILED" in report
    assert "| auc | higher | 0.8000 | 0.7500 | -0.0500 |" in report


@pytest.mark.parametrize(
    ("change", "expected", "loosens"),
    [
        ({"tolerance": 0.5}, "tolerance raised from 0.01 to 0.5", True),
        ({"tolerance": 0.001}, "tolerance lowered from 0.01 to 0.001", False),
        ({"limit": 0.1}, "limit relaxed from 0.7 to 0.1", True),
        ({"limit": 0.75}, "limit tightened from 0.7 to 0.75", False),
        ({"direction": "lower"}, "direction flipped from higher to lower", True),
    ],
)
def test_each_rule_change_is_named_and_classified(
    change: dict[str, object], expected: str, loosens: bool
) -> None:
    changed = HIGHER.model_copy(update=change)

    (found,) = rule_changes({"auc": HIGHER}, {"auc": changed})

    assert found.change == expected
    assert found.loosens is loosens


def test_a_relaxed_ceiling_of_a_lower_is_better_metric_loosens() -> None:
    (found,) = rule_changes({"brier": LOWER}, {"brier": LOWER.model_copy(update={"limit": 0.5})})

    assert found.loosens


def test_removing_a_metric_loosens_and_adding_one_tightens() -> None:
    found = rule_changes({"auc": HIGHER}, {"f1": HIGHER})

    assert {(c.metric, c.loosens) for c in found} == {("auc", True), ("f1", False)}


def test_the_strictest_of_both_rules_applies() -> None:
    loosened = HIGHER.model_copy(update={"tolerance": 0.5, "limit": 0.1})
    tightened = LOWER.model_copy(update={"tolerance": 0.001})

    rules = strictest(
        {"auc": HIGHER, "brier": LOWER}, {"auc": loosened, "brier": tightened, "f1": HIGHER}
    )

    assert rules == {"auc": HIGHER, "brier": tightened, "f1": HIGHER}


# The gate on a real git history: the target branch `main` holds params.yaml and a baseline;
# the change under review is a branch that edits them.


def passing_value(rule: MetricRule) -> float:
    """Comfortably inside the limit, so only a regression can fail it."""
    step = max(10 * rule.tolerance, 0.1)
    return rule.limit + step if rule.direction == "higher" else rule.limit - step


def worse_value(rule: MetricRule) -> float:
    """Twice the tolerance worse than `passing_value`, still inside the limit."""
    step = 2 * rule.tolerance if rule.tolerance else 0.01
    return passing_value(rule) - step if rule.direction == "higher" else passing_value(rule) + step


@pytest.fixture
def repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """A git repository whose `main` holds the project's params.yaml and a passing baseline."""
    monkeypatch.chdir(tmp_path)

    def git(*args: str) -> None:
        subprocess.run(["git", *args], check=True, capture_output=True)

    git("init", "--quiet", "--initial-branch=main")
    git("config", "user.email", "test@example.com")
    git("config", "user.name", "test")
    shutil.copy(PROJECT / "params.yaml", tmp_path / "params.yaml")
    params = load_params(tmp_path / "params.yaml")
    params.paths.golden.parent.mkdir(parents=True)
    params.paths.golden.write_text("a golden set\n")
    write_metrics(params, params.paths.baseline)
    git("add", ".")
    git("commit", "--quiet", "-m", "baseline")
    git("checkout", "--quiet", "-b", "change")
    return git


def write_metrics(params: Params, path: Path, worse: frozenset[str] = frozenset()) -> None:
    """Golden metrics as the evaluate stage writes them.

    They pass the target's rules (the project's params.yaml) except for the `worse` ones.
    """
    rules = load_params(PROJECT / "params.yaml").gate.metrics
    metrics = {
        name: worse_value(rule) if name in worse else passing_value(rule)
        for name, rule in rules.items()
    }
    report = golden_report(metrics, sha256=sha256_of(params.paths.golden))
    record = baseline(report) if path == params.paths.baseline else report
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(record.model_dump_json())


def edit_rules(
    repository: Callable[..., None], path: Path, edit: Callable[[dict[str, Any]], object]
) -> Params:
    """Edit the branch's params.yaml `gate:` section and commit it."""
    content = yaml.safe_load(path.read_text())
    edit(content["gate"]["metrics"])
    path.write_text(yaml.safe_dump(content))
    repository("commit", "--quiet", "-am", "edit the gate rules")
    return load_params(path)


def test_baseline_and_rules_come_from_the_ref_not_the_working_tree(
    repository: Callable[..., None], tmp_path: Path
) -> None:
    params = load_params(tmp_path / "params.yaml")
    target_rules = dict(params.gate.metrics)
    params.paths.baseline.write_text(baseline(result(auc=0.1)).model_dump_json())

    def anything_goes(rules: dict[str, Any]) -> None:
        rules.clear()
        rules["auc"] = {"direction": "higher", "tolerance": 1.0, "limit": 0.0}

    edit_rules(repository, tmp_path / "params.yaml", anything_goes)

    reference = load_reference("main")

    assert reference.rules == target_rules
    assert reference.baseline.metrics != {"auc": 0.1}
    assert reference.ref == "main"
    assert reference.source() == "`main:metrics/baseline.json`; rules from `main:params.yaml`"


def test_a_branch_that_loosens_a_tolerance_fails_with_the_rules_changed(
    repository: Callable[..., None], tmp_path: Path
) -> None:
    params = load_params(tmp_path / "params.yaml")
    name, rule = next(iter(params.gate.metrics.items()))
    params = edit_rules(
        repository, tmp_path / "params.yaml", lambda rules: rules[name].update(tolerance=1e6)
    )
    write_metrics(params, params.paths.golden_metrics, worse=frozenset({name}))

    decision = decide(params, Override(None), CI_BASE)

    assert not decision.passed
    report = to_markdown(decision)
    assert "### Rules changed in this change" in report
    assert f"`{name}`: tolerance raised from {rule.tolerance:g} to 1e+06" in report
    verdict = next(v for v in decision.verdicts if v.metric == name)
    assert verdict.tolerance == rule.tolerance  # judged by main's rule, not the branch's
    assert not verdict.passed


def test_a_branch_that_deletes_metrics_is_still_judged_on_all_of_them(
    repository: Callable[..., None], tmp_path: Path
) -> None:
    params = load_params(tmp_path / "params.yaml")
    first, *others = params.gate.metrics
    params = edit_rules(
        repository,
        tmp_path / "params.yaml",
        lambda rules: [rules.pop(other) for other in others],
    )
    write_metrics(params, params.paths.golden_metrics)

    decision = decide(params, Override(None), CI_BASE)

    assert {v.metric for v in decision.verdicts} == {first, *others}
    assert not decision.passed
    assert sum("metric removed" in c.change for c in decision.rule_changes) == len(others)


def test_a_branch_that_only_tightens_rules_passes(
    repository: Callable[..., None], tmp_path: Path
) -> None:
    params = load_params(tmp_path / "params.yaml")
    name = next(iter(params.gate.metrics))
    params = edit_rules(
        repository, tmp_path / "params.yaml", lambda rules: rules[name].update(tolerance=0.0)
    )
    write_metrics(params, params.paths.golden_metrics)

    decision = decide(params, Override(None), CI_BASE)

    assert decision.passed, to_markdown(decision)
    assert "tightens: allowed" in to_markdown(decision)


def test_an_override_passes_a_loosened_gate_and_is_recorded(
    repository: Callable[..., None], tmp_path: Path
) -> None:
    params = load_params(tmp_path / "params.yaml")
    name = next(iter(params.gate.metrics))
    params = edit_rules(
        repository,
        tmp_path / "params.yaml",
        lambda rules: rules[name].update(tolerance=rules[name]["tolerance"] * 10),  # any unit
    )
    write_metrics(params, params.paths.golden_metrics)

    decision = decide(params, Override("metric is noisier than thought, see #12"), CI_BASE)

    assert decision.failed
    assert decision.passed
    assert "tolerance raised" in to_markdown(decision)


def test_an_override_that_does_not_re_baseline_is_refused(
    repository: Callable[..., None], tmp_path: Path
) -> None:
    """Merged as is, main's gate would judge the regressed model by the old baseline: refused."""
    params = load_params(tmp_path / "params.yaml")
    name = next(iter(params.gate.metrics))
    write_metrics(params, params.paths.golden_metrics, worse=frozenset({name}))

    decision = decide(params, Override("accepted regression, see #12", by="@lead"), CI_BASE)

    assert not decision.passed
    assert decision.override.reason is None
    assert decision.override.by == "@lead"
    refused = decision.override.refused or ""
    assert "must re-baseline in the same change" in refused
    assert f"{name}: worse than baseline" in refused
    assert "Override refused:** an override must re-baseline" in to_markdown(decision)


def test_an_override_that_re_baselines_passes(
    repository: Callable[..., None], tmp_path: Path
) -> None:
    params = load_params(tmp_path / "params.yaml")
    name = next(iter(params.gate.metrics))
    write_metrics(params, params.paths.golden_metrics, worse=frozenset({name}))
    shutil.copy(params.paths.golden_metrics, params.paths.baseline)  # what `make baseline` does

    decision = decide(params, Override("accepted regression, see #12", by="@lead"), CI_BASE)

    assert decision.failed  # against the target branch's baseline
    assert decision.passed
    assert decision.override.reason == "accepted regression, see #12"


def test_stale_golden_metrics_fail_closed(repository: Callable[..., None], tmp_path: Path) -> None:
    params = load_params(tmp_path / "params.yaml")
    write_metrics(params, params.paths.golden_metrics)
    params.paths.golden.write_text("another golden set\n")

    decision = decide(params, Override(None), CI_BASE)

    assert not decision.passed
    assert any("was not computed from the current" in p for p in decision.problems)


def test_a_lowered_baseline_committed_on_a_branch_is_ignored(
    repository: Callable[..., None], tmp_path: Path
) -> None:
    params = load_params(tmp_path / "params.yaml")
    params.paths.baseline.write_text(baseline(result(auc=0.1)).model_dump_json())
    repository("commit", "--quiet", "-am", "lower the bar")

    reference = load_reference("origin/main", CI_BASE)

    assert "auc" not in reference.baseline.metrics


def test_unknown_explicit_ref_fails_closed(repository: Callable[..., None]) -> None:
    with pytest.raises(GateInputError, match="GATE_BASELINE_REF='origin/nowhere'"):
        load_reference("main", "origin/nowhere")


def test_gate_settings_come_from_the_environment_and_blank_means_unset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GATE_BASELINE_REF", " origin/main ")
    monkeypatch.setenv("GATE_OVERRIDE_REASON", "")  # how a workflow passes an unused input
    monkeypatch.setenv("GATE_OVERRIDE_BY", "@lead")

    settings = GateSettings.from_env()

    assert settings.baseline_ref == "origin/main"
    assert Override.from_settings(settings) == Override(None, by="@lead")


def test_baseline_missing_on_the_ref_fails_closed(
    repository: Callable[..., None], tmp_path: Path
) -> None:
    params = load_params(tmp_path / "params.yaml")
    repository("checkout", "--quiet", "main")
    repository("rm", "--quiet", str(params.paths.baseline))
    repository("commit", "--quiet", "-m", "drop baseline")

    with pytest.raises(GateInputError, match="does not exist on main"):
        load_reference("main")


def test_unreadable_baseline_fails_closed(repository: Callable[..., None], tmp_path: Path) -> None:
    params = load_params(tmp_path / "params.yaml")
    repository("checkout", "--quiet", "main")
    params.paths.baseline.write_text("{not json")
    repository("commit", "--quiet", "-am", "break it")

    with pytest.raises(GateInputError, match="not valid JSON"):
        load_reference("main")


def test_target_without_gate_rules_fails_closed(
    repository: Callable[..., None], tmp_path: Path
) -> None:
    repository("checkout", "--quiet", "main")
    (tmp_path / "params.yaml").write_text("paths: {}\n")
    repository("commit", "--quiet", "-am", "drop the rules")

    with pytest.raises(GateInputError, match="no `gate:` section"):
        load_reference("main")
