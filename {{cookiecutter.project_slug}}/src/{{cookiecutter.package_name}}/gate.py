"""The golden-set gate: may the candidate model replace the one on the target branch?

The candidate's golden metrics (metrics/golden.json, written by `dvc repro`) are compared
with metrics/baseline.json *as committed on the target branch* (GATE_BASELINE_REF, else
params.yaml gate.baseline_ref), never with the copy in the change under review. Each metric
has a direction, an allowed regression and an absolute limit; ties pass. Anything missing,
unreadable, NaN or measured on another golden set or contract fails closed.
GATE_OVERRIDE_REASON="..." lets a failing gate pass, and the reason is written in the report.
"""

from __future__ import annotations

import json
import math
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from {{ cookiecutter.package_name }} import git
from {{ cookiecutter.package_name }}.files import write_json, write_text
from {{ cookiecutter.package_name }}.params import (
    MetricRule,
    Params,
    ParamsError,
    load_params,
)

EPSILON = 1e-12  # float noise below this is a tie
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


class GateInputError(ValueError):
    """A gate input is missing or unreadable; the gate fails closed."""


@dataclass(frozen=True)
class Verdict:
    metric: str
    direction: str
    baseline: float | None
    candidate: float | None
    trivial: float | None
    tolerance: float
    limit: float
    passed: bool
    reason: str

    @property
    def delta(self) -> float | None:
        if self.baseline is None or self.candidate is None:
            return None
        return self.candidate - self.baseline


@dataclass
class Decision:
    verdicts: list[Verdict]
    problems: list[str]
    baseline_source: str
    commit: str
    golden_sha256: str | None
    override: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.problems) or not all(v.passed for v in self.verdicts)

    @property
    def passed(self) -> bool:
        return not self.failed or self.override is not None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def judge(
    name: str,
    rule: MetricRule,
    baseline: float | None,
    candidate: float | None,
    trivial: float | None = None,
) -> Verdict:
    """One metric's verdict: finite, not worse than baseline beyond tolerance, within limit."""

    def verdict(passed: bool, reason: str) -> Verdict:
        return Verdict(
            metric=name,
            direction=rule.direction,
            baseline=baseline,
            candidate=candidate,
            trivial=trivial,
            tolerance=rule.tolerance,
            limit=rule.limit,
            passed=passed,
            reason=reason,
        )

    if candidate is None or not math.isfinite(candidate):
        return verdict(False, "candidate value is missing or not a finite number")
    if baseline is None or not math.isfinite(baseline):
        return verdict(False, "baseline value is missing or not a finite number")
    sign = 1 if rule.direction == "higher" else -1
    regression = sign * (baseline - candidate)
    if regression > rule.tolerance + EPSILON:
        return verdict(
            False, f"worse than baseline by {regression:.4g} (allowed {rule.tolerance:g})"
        )
    if sign * (candidate - rule.limit) < -EPSILON:
        bound = "below the floor" if sign == 1 else "above the ceiling"
        return verdict(False, f"{bound} of {rule.limit:g}")
    return verdict(True, "ok")


def compare(
    baseline: dict, candidate: dict, rules: dict[str, MetricRule]
) -> tuple[list[Verdict], list[str]]:
    """Verdicts per configured metric, plus the problems that make any comparison void."""
    problems = []
    base_golden = (baseline.get("golden") or {}).get("sha256")
    cand_golden = (candidate.get("golden") or {}).get("sha256")
    if not base_golden or base_golden != cand_golden:
        problems.append(
            f"golden set differs from the baseline's (baseline {base_golden}, candidate "
            f"{cand_golden}): scores on different golden sets are not comparable. To re-baseline, "
            "run `make baseline`, commit metrics/baseline.json in this change for review and set "
            "GATE_OVERRIDE_REASON for it."
        )
    if baseline.get("contract_sha256") != candidate.get("contract_sha256"):
        problems.append(
            "the feature contract differs from the one the baseline was measured with: "
            "re-baseline as above once the contract change is reviewed."
        )
    base_metrics = baseline.get("metrics") or {}
    cand_metrics = candidate.get("metrics") or {}
    trivial = candidate.get("trivial") or {}
    verdicts = [
        judge(
            name,
            rule,
            _number(base_metrics.get(name)),
            _number(cand_metrics.get(name)),
            _number(trivial.get(name)),
        )
        for name, rule in rules.items()
    ]
    return verdicts, problems


def read_json(text: str, source: str) -> dict:
    try:
        content = json.loads(text)
    except json.JSONDecodeError as error:
        raise GateInputError(f"{source} is not valid JSON ({error})") from None
    if not isinstance(content, dict):
        raise GateInputError(f"{source} should hold a JSON object")
    return content


def load_baseline(path: Path, configured_ref: str) -> tuple[dict, str, list[str]]:
    """The baseline as committed on the target ref; the working tree only before any commit."""
    notes = []
    ref = os.environ.get("GATE_BASELINE_REF", "").strip()
    if ref:
        if not git.has_commit(ref):
            raise GateInputError(
                f"GATE_BASELINE_REF={ref!r} is not a commit here: fetch it first "
                f"(for example `git fetch origin main`) or fix the name"
            )
    elif git.has_commit(configured_ref):
        ref = configured_ref
    elif git.has_commit("HEAD"):
        ref = "HEAD"
        notes.append(f"{configured_ref} does not exist (no remote yet?): compared with HEAD")
    else:
        notes.append("no commit yet: compared with the working-tree baseline")
        if not path.is_file():
            raise GateInputError(f"{path} is missing: run `make baseline` and commit it")
        return read_json(path.read_text(), str(path)), f"{path} (working tree)", notes
    text = git.show(ref, path)
    if text is None:
        raise GateInputError(
            f"{path} does not exist on {ref}: the target branch needs a committed baseline "
            "(run `make baseline` there and commit it)"
        )
    return read_json(text, f"{ref}:{path}"), f"{ref}:{path}", notes


def decide(params: Params, override: str | None) -> Decision:
    paths = params.paths
    commit = git.commit()
    try:
        if not paths.golden_metrics.is_file():
            raise GateInputError(f"{paths.golden_metrics} is missing: run `make repro` first")
        candidate = read_json(paths.golden_metrics.read_text(), str(paths.golden_metrics))
        baseline, source, notes = load_baseline(paths.baseline, params.gate.baseline_ref)
    except GateInputError as error:
        return Decision([], [str(error)], "unavailable", commit, None, override)
    verdicts, problems = compare(baseline, candidate, params.gate.metrics)
    golden = (candidate.get("golden") or {}).get("sha256")
    return Decision(verdicts, problems, source, commit, golden, override, notes)


def _cell(value: float | None) -> str:
    return "n/a" if value is None else f"{round(value, 4) + 0.0:.4f}"  # + 0.0: no "-0.0000"


def to_markdown(decision: Decision) -> str:
    if decision.failed and decision.override:
        status = f"OVERRIDDEN (would fail): {decision.override}"
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
            f"| {v.metric} | {v.direction} | {_cell(v.baseline)} | {_cell(v.candidate)} "
            f"| {_cell(v.delta)} | {v.tolerance:g} | {v.limit:g} | {_cell(v.trivial)} | {mark} |"
        )
    lines += [""] + [f"- **Problem:** {problem}" for problem in decision.problems]
    lines += [f"- Note: {note}" for note in decision.notes]
    lines += [
        f"- Baseline: `{decision.baseline_source}`",
        f"- Golden set sha256: `{decision.golden_sha256}`",
        f"- Commit: `{decision.commit}`",
    ]
    if decision.override:
        lines.append(f"- Override reason (GATE_OVERRIDE_REASON): {decision.override}")
    return "\n".join(lines) + "\n"


def main() -> None:
    try:
        params = load_params()
    except ParamsError as error:
        sys.exit(f"gate: {error}")
    override = os.environ.get("GATE_OVERRIDE_REASON", "").strip() or None
    decision = decide(params, override)
    markdown = to_markdown(decision)
    reports = params.paths.reports
    write_text(reports / "gate.md", markdown)
    write_json(
        reports / "gate.json",
        {
            **asdict(decision),
            "passed": decision.passed,
            "failed_checks": decision.failed,
            "verdicts": [{**asdict(v), "delta": v.delta} for v in decision.verdicts],
        },
    )
    print(markdown)
    if not decision.passed:
        sys.exit(f"gate: the candidate model is not accepted (details in {reports / 'gate.md'})")


if __name__ == "__main__":
    main()
