"""tests/github_expressions.py reads GitHub's expressions as GitHub does."""

from __future__ import annotations

import pytest

from .github_expressions import condition, evaluate, interpolate

CONTEXTS = {
    "github": {
        "event_name": "push",
        "sha": "abc123",
        "ref": "refs/heads/main",
        "event": {"pull_request": {"labels": [{"name": "gate-override"}, {"name": "docs"}]}},
    },
    "vars": {},
    "steps": {"gate": {"outcome": "failure", "outputs": {}}},
}


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("github.event_name == 'push' && github.sha || github.ref", "abc123"),
        ("github.event_name == 'pull_request' && github.sha || github.ref", "refs/heads/main"),
        ("github.event.repository.default_branch", None),  # absent field: null
        ("!github.event.repository.private", True),
        ("vars.ATTESTATIONS == 'true'", False),
        ("'PUSH' == github.event_name", True),  # strings compare case-insensitively
        ("null == false", True),  # loose equality: both are 0
        ("contains(github.event.pull_request.labels.*.name, 'gate-override')", True),
        ("startsWith(github.ref, 'refs/heads/')", True),
        ("format('{0}-{1}', 'a', 1)", "a-1"),
        ("steps.gate.outcome != 'skipped'", True),
        ("fromJSON('[1, 2]')[1]", 2),
    ],
)
def test_expressions_evaluate_as_on_github(expression: str, value: object) -> None:
    assert evaluate(expression, CONTEXTS) == value


def test_interpolation_writes_null_as_empty() -> None:
    assert (
        interpolate("origin/${{ github.event.repository.default_branch }}", CONTEXTS) == "origin/"
    )


def test_conditions_imply_success_unless_a_status_function_is_used() -> None:
    failed = {"success": lambda: False, "failure": lambda: True, "always": lambda: True}

    assert condition("github.event_name == 'push'", CONTEXTS, failed) is False
    assert condition("always() && github.event_name == 'push'", CONTEXTS, failed) is True
    assert condition("${{ failure() && steps.gate.outcome == 'failure' }}", CONTEXTS, failed)
