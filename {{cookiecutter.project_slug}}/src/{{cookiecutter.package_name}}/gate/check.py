"""The golden-set gate: may the candidate model replace the one on the target branch?

The candidate's golden metrics (metrics/golden.json, written by `dvc repro`) are judged
against the baseline *and the rules* committed on the target branch (GATE_BASELINE_REF, else
params.yaml gate.baseline_ref; see core/target_branch.py), never against the copies in the change
under review. Each metric has a direction, an allowed regression and an absolute limit; ties
pass. Anything missing, unreadable, NaN, stale, or measured on another golden set or contract
fails closed, and so does a change that loosens the rules. An explicit override (the
`gate-override` label in CI, GATE_OVERRIDE_REASON locally) lets a failing gate pass, and the
report says who and why.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import asdict, dataclass, field

from {{ cookiecutter.package_name }}.core import git
from {{ cookiecutter.package_name }}.core.contract import fingerprint
from {{ cookiecutter.package_name }}.core.files import (
    JsonFileError,
    sha256_of,
    write_text,
)
from {{ cookiecutter.package_name }}.core.formats import fixed
from {{ cookiecutter.package_name }}.core.params import (
    Params,
    load_params,
)
from {{ cookiecutter.package_name }}.core.records import (
    Baseline,
    GateOverride,
    GateReport,
    GateRuleChange,
    GoldenReport,
    MetricVerdict,
)
from {{ cookiecutter.package_name }}.core.rules import judge_metrics
from {{ cookiecutter.package_name }}.core.settings import GateSettings
from {{ cookiecutter.package_name }}.core.target_branch import (
    GateInputError,
    Reference,
    RuleChange,
    load_reference,
    rule_changes,
    strictest,
)

log = logging.getLogger(__name__)

COLUMNS = (
    "metric",
    "better",
    "baseline",
    "candidate",
    "delta",
    "tolerance",
    "limit",
    "trivial",
    "verdict",
)


@dataclass(frozen=True)
class Override:
    """An explicit, recorded decision to accept a change the gate would refuse."""

    reason: str | None
    by: str | None = None
    refused: str | None = None  # why a requested override was not granted (CI's label check)

    @classmethod
    def from_settings(cls, settings: GateSettings) -> Override:
        """GATE_OVERRIDE_REASON, GATE_OVERRIDE_BY and GATE_OVERRIDE_REFUSED."""
        return cls(settings.override_reason, settings.override_by, settings.override_refused)


@dataclass
class GateDecision:
    """The gate's outcome: what was judged, against what, and what failed."""

    verdicts: list[MetricVerdict]
    problems: list[str]
    baseline_source: str
    commit: str
    golden_sha256: str | None
    override: Override = field(default_factory=lambda: Override(None))
    rule_changes: list[RuleChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """True when a metric or an input check fails, overridden or not."""
        return bool(self.problems) or not all(v.passed for v in self.verdicts)

    @property
    def passed(self) -> bool:
        """True when nothing fails, or an override accepts the failure."""
        return not self.failed or self.override.reason is not None


def stale_inputs(params: Params, candidate: GoldenReport) -> list[str]:
    """Golden metrics computed from another golden file or contract than the working tree's."""
    problems = []
    golden = params.paths.golden
    if golden.is_file() and candidate.golden.sha256 != sha256_of(golden):
        problems.append(
            f"{params.paths.golden_metrics} was not computed from the current {golden}: "
            "run `make repro`"
        )
    if candidate.contract_sha256 != fingerprint():
        problems.append(
            f"{params.paths.golden_metrics} was computed under another feature contract than "
            "the current contract.yaml: run `make repro` (and check that dvc.yaml declares "
            "contract.yaml for every stage that reads it)"
        )
    return problems


def library_notes(baseline: GoldenReport, candidate: GoldenReport) -> list[str]:
    """Library versions that differ from the baseline's: a likely cause of small score changes."""
    before, after = baseline.libraries, candidate.libraries
    changed = [
        f"{name} {before[name]} -> {after.get(name, 'absent')}"
        for name in sorted(before)
        if before[name] != after.get(name)
    ]
    return [f"library versions differ from the baseline's: {', '.join(changed)}"] if changed else []


def decide(params: Params, override: Override, baseline_ref: str | None = None) -> GateDecision:
    """Judge the golden metrics against the target branch's baseline and rules."""
    paths = params.paths
    commit = git.commit()
    try:
        if not paths.golden_metrics.is_file():
            raise GateInputError(f"{paths.golden_metrics} is missing: run `make repro` first")
        candidate = GoldenReport.load(paths.golden_metrics)
        reference: Reference = load_reference(params.gate.baseline_ref, baseline_ref)
    except (GateInputError, JsonFileError) as error:
        return GateDecision([], [str(error)], "unavailable", commit, None, override)
    changes = rule_changes(reference.rules, params.gate.metrics)
    rules = strictest(reference.rules, params.gate.metrics)
    added = frozenset(params.gate.metrics.keys() - reference.rules.keys())
    verdicts, problems = judge_metrics(reference.baseline, candidate, rules, added=added)
    problems = stale_inputs(params, candidate) + problems
    if any(change.loosens for change in changes):
        problems.append(
            f"this change loosens the gate's rules (see 'Rules changed in this change'): the "
            f"rules of {reference.ref or 'the working tree'} apply. Loosening them needs an "
            "override."
        )
    if override.reason and (problems or not all(v.passed for v in verdicts)):
        override = rebaselined(params, candidate, override)
    notes = reference.notes + library_notes(reference.baseline, candidate)
    golden = candidate.golden.sha256
    return GateDecision(
        verdicts,
        problems,
        reference.source(),
        commit,
        golden,
        override,
        changes,
        notes,
    )


def rebaselined(params: Params, candidate: GoldenReport, override: Override) -> Override:
    """The override, if the change's own metrics/baseline.json accepts the candidate; else refused.

    An override lets this change merge; after the merge the target branch's gate judges the
    same model against the baseline this change commits. Unless the change re-baselines
    (`make baseline`), that gate fails on the merged model and nothing ships.
    """
    path = params.paths.baseline
    try:
        own, unreadable = Baseline.load(path), []
    except JsonFileError as error:
        own, unreadable = None, [str(error)]
    verdicts, problems = judge_metrics(own, candidate, params.gate.metrics)
    failed = [f"{v.metric}: {v.reason}" for v in verdicts if not v.passed]
    broken = unreadable + problems[:1] + failed
    if not broken:
        return override
    return Override(
        None,
        override.by,
        refused=(
            f"an override must re-baseline in the same change, and this change's {path} does "
            f"not accept its own model ({broken[0]}): run `make baseline` and commit {path}, "
            "or the target branch's gate fails on the merged model and nothing ships "
            "(README: 'Overriding the gate')"
        ),
    )


def to_markdown(decision: GateDecision) -> str:
    """The report posted on the pull request and written to reports/gate.md."""
    override = decision.override
    if decision.failed and override.reason:
        status = "OVERRIDDEN (would fail)"
    else:
        status = "FAILED" if decision.failed else "PASSED"
    lines = [
        f"## Model gate: {status}",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for v in decision.verdicts:
        mark = "pass" if v.passed else f"FAIL: {v.reason}"
        lines.append(
            f"| {v.metric} | {v.direction} | {fixed(v.baseline)} | {fixed(v.candidate)} "
            f"| {fixed(v.delta)} | {v.tolerance:g} | {v.limit:g} | {fixed(v.trivial)} | {mark} |"
        )
    lines += [""] + [f"- **Problem:** {problem}" for problem in decision.problems]
    lines += [f"- Note: {note}" for note in decision.notes]
    lines += [
        f"- Judged against: {decision.baseline_source}",
        f"- Golden set sha256: `{decision.golden_sha256}`",
        f"- Commit: `{decision.commit}`",
    ]
    if override.reason:
        by = f" by {override.by}" if override.by else ""
        lines.append(f"- **Override**{by}: {override.reason}")
    if override.refused:
        lines.append(f"- **Override refused:** {override.refused}")
    if decision.rule_changes:
        lines += ["", "### Rules changed in this change", ""]
        for change in decision.rule_changes:
            effect = "loosens: needs an override" if change.loosens else "tightens: allowed"
            lines.append(f"- `{change.metric}`: {change.change} ({effect})")
    return "\n".join(lines) + "\n"


def to_record(decision: GateDecision) -> GateReport:
    """The decision for machines (reports/gate.json), with the derived verdicts."""
    return GateReport(
        passed=decision.passed,
        failed_checks=decision.failed,
        verdicts=decision.verdicts,
        problems=decision.problems,
        notes=decision.notes,
        baseline_source=decision.baseline_source,
        commit=decision.commit,
        golden_sha256=decision.golden_sha256,
        override=GateOverride(**asdict(decision.override)),
        rule_changes=[GateRuleChange(**asdict(change)) for change in decision.rule_changes],
    )


def run(args: argparse.Namespace) -> int:
    """`make gate`: write the reports; exit status 1 unless the candidate is accepted."""
    params = load_params()
    settings = GateSettings.from_env()
    decision = decide(params, Override.from_settings(settings), settings.baseline_ref)
    markdown = to_markdown(decision)
    reports = params.paths.reports
    write_text(reports / "gate.md", markdown)
    to_record(decision).save(reports / "gate.json")
    print(markdown)
    if not decision.passed:
        log.error(f"gate: the candidate model is not accepted (details in {reports / 'gate.md'})")
        return 1
    return 0
