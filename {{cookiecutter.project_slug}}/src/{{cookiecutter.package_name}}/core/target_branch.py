"""What the gate judges against: the baseline *and the rules* as committed on the target branch.

A change under review must not be able to lower its own bar, so both the accepted metrics
(metrics/baseline.json) and the gate's rules (the `gate:` section of params.yaml: metrics,
directions, tolerances, limits) are read from the target ref with `git show`, never from the
working tree. Rule changes made by the change itself are listed, and loosening ones are
refused unless the change is explicitly overridden.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.core import git
from {{ cookiecutter.package_name }}.core.files import JsonFileError
from {{ cookiecutter.package_name }}.core.params import Gate, MetricRule
from {{ cookiecutter.package_name }}.core.records import Baseline

PARAMS_FILE = Path("params.yaml")


class GateInputError(ValueError):
    """A gate input is missing or unreadable; the gate fails closed."""


@dataclass(frozen=True)
class Reference:
    """The target ref's baseline and rules, and where they were read."""

    baseline: Baseline
    rules: dict[str, MetricRule]
    ref: str | None  # e.g. "origin/main"; None before the first commit (the working tree)
    baseline_path: Path
    notes: list[str] = field(default_factory=list)

    def source(self) -> str:
        """Where the baseline and the rules were read, for the report."""
        where = f"{self.ref}:" if self.ref else ""
        tree = "" if self.ref else " (working tree)"
        return f"`{where}{self.baseline_path}`{tree}; rules from `{where}{PARAMS_FILE}`{tree}"


@dataclass(frozen=True)
class RuleChange:
    """One difference between the target's rules and this change's, and whether it loosens."""

    metric: str
    change: str
    loosens: bool


def read_baseline(text: str, source: str) -> Baseline:
    """The baseline in `text` (records.py reads it); anything else fails the gate closed."""
    try:
        return Baseline.loads(text, source)
    except JsonFileError as error:
        raise GateInputError(str(error)) from None


def chosen_ref(configured_ref: str, ref: str | None = None) -> str:
    """The target branch: `ref` (GATE_BASELINE_REF) when given, else params.yaml's baseline_ref.

    The one rule: the gate judges against it, and the pull request's report compares with it.
    """
    return ref or configured_ref


def target_ref(configured_ref: str, ref: str | None = None) -> tuple[str | None, list[str]]:
    """The ref to judge against (chosen_ref), and notes on the choice; None before any commit.

    A given GATE_BASELINE_REF must exist; params.yaml's may not yet (no remote): then HEAD.
    """
    if ref:
        if not git.has_commit(ref):
            raise GateInputError(
                f"GATE_BASELINE_REF={ref!r} is not a commit here: fetch it first "
                f"(for example `git fetch origin main`) or fix the name"
            )
        return ref, []
    if git.has_commit(configured_ref):
        return configured_ref, []
    if git.has_commit("HEAD"):
        return "HEAD", [f"{configured_ref} does not exist (no remote yet?): compared with HEAD"]
    return None, ["no commit yet: compared with the working-tree baseline and rules"]


def rules_from(text: str, source: str) -> tuple[dict[str, MetricRule], Path]:
    """The gate rules and the baseline's path from the text of a params.yaml."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise GateInputError(f"{source} is not valid YAML ({error})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("gate"), dict):
        raise GateInputError(f"{source} has no `gate:` section to judge by")
    try:
        gate = Gate.model_validate(raw["gate"])
        baseline = Path(raw["paths"]["baseline"])
    except (ValidationError, KeyError, TypeError) as error:
        raise GateInputError(f"{source}: cannot read the gate rules ({error})") from None
    return dict(gate.metrics), baseline


def load_reference(configured_ref: str, baseline_ref: str | None = None) -> Reference:
    """The baseline and rules the change is judged by, from the target ref.

    The target ref is `baseline_ref` (GATE_BASELINE_REF) when given (see target_ref).
    """
    ref, notes = target_ref(configured_ref, baseline_ref)
    if ref is None:
        rules, baseline_path = rules_from(PARAMS_FILE.read_text(), str(PARAMS_FILE))
        if not baseline_path.is_file():
            raise GateInputError(f"{baseline_path} is missing: run `make baseline` and commit it")
        baseline = read_baseline(baseline_path.read_text(), str(baseline_path))
        return Reference(baseline, rules, None, baseline_path, notes)
    params_text = git.show(ref, PARAMS_FILE)
    if params_text is None:
        raise GateInputError(f"{PARAMS_FILE} does not exist on {ref}: nothing to judge by")
    rules, baseline_path = rules_from(params_text, f"{ref}:{PARAMS_FILE}")
    text = git.show(ref, baseline_path)
    if text is None:
        raise GateInputError(
            f"{baseline_path} does not exist on {ref}: the target branch needs a committed "
            "baseline (run `make baseline` there and commit it)"
        )
    baseline = read_baseline(text, f"{ref}:{baseline_path}")
    return Reference(baseline, rules, ref, baseline_path, notes)


def rule_changes(target: dict[str, MetricRule], change: dict[str, MetricRule]) -> list[RuleChange]:
    """Every difference between the target's rules and the change's, loosening or not."""
    found = []
    for name, old in target.items():
        new = change.get(name)
        if new is None:
            found.append(RuleChange(name, "metric removed from the gate", loosens=True))
            continue
        if new.direction != old.direction:
            flipped = f"direction flipped from {old.direction} to {new.direction}"
            found.append(RuleChange(name, flipped, loosens=True))
            continue
        if new.tolerance != old.tolerance:
            raised = new.tolerance > old.tolerance
            verb = "raised" if raised else "lowered"
            found.append(
                RuleChange(
                    name, f"tolerance {verb} from {old.tolerance:g} to {new.tolerance:g}", raised
                )
            )
        if new.limit != old.limit:
            relaxed = new.limit < old.limit if old.direction == "higher" else new.limit > old.limit
            verb = "relaxed" if relaxed else "tightened"
            found.append(
                RuleChange(name, f"limit {verb} from {old.limit:g} to {new.limit:g}", relaxed)
            )
    found += [
        RuleChange(name, "metric added to the gate", loosens=False)
        for name in change.keys() - target.keys()
    ]
    return found


def strictest(
    target: dict[str, MetricRule], change: dict[str, MetricRule]
) -> dict[str, MetricRule]:
    """The target's rules, tightened (never loosened) by the change's."""
    rules = dict(target)
    for name, new in change.items():
        old = target.get(name)
        if old is None:
            rules[name] = new
        elif old.direction == new.direction:
            pick = max if old.direction == "higher" else min
            rules[name] = MetricRule(
                direction=old.direction,
                tolerance=min(old.tolerance, new.tolerance),
                limit=pick(old.limit, new.limit),
            )
    return rules
