"""The one required check: did every job of this CI run end as it must?

GitHub counts a skipped job as a passing check, and a job that fails or is skipped skips
every job below it in the `needs` chain. So no job but this one is required (the ruleset),
and this one always runs and fails unless each job it needs has the result it must have on
this event: a skipped gate, image or publish is a failure here, with the reason.

Standard library only; reads NEEDS (the workflow's `toJSON(needs)`) and EVENT
(`github.event_name`), writes the verdict to the job summary.

    NEEDS='{"gate": {"result": "skipped"}}' EVENT=pull_request python3 scripts/required_checks.py
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

SUCCESS = frozenset({"success"})
OPTIONAL = frozenset({"success", "skipped"})
SKIPPED = frozenset({"skipped"})
# What each job must end as, by event. gate-comment may be skipped (forks, Dependabot);
# publish and promote run only for a push to main.
EXPECTED: dict[str, dict[str, frozenset[str]]] = {
    "override": {"*": SUCCESS},
    "remote": {"*": SUCCESS},
    "lint": {"*": SUCCESS},
    "test": {"*": SUCCESS},
    "gate": {"*": SUCCESS},
    "gate-comment": {"*": OPTIONAL},
    "image": {"*": SUCCESS},
    "publish": {"push": SUCCESS, "*": SKIPPED},
    "promote": {"push": SUCCESS, "*": SKIPPED},
}
WHY = {
    "override": "the gate-override check could not run (an API error?): re-run the failed jobs",
    "gate": "the model was not gated",
    "image": "the serving image was not built and smoke-tested",
}


def problems(needs: dict[str, dict[str, object]], event: str) -> list[str]:
    """One line per job that did not end as it must (and per job this check does not know)."""
    found = []
    for job, data in needs.items():
        result = str(data.get("result"))
        if job not in EXPECTED:
            found.append(f"{job}: not known to scripts/required_checks.py: add what it must be")
            continue
        allowed = EXPECTED[job].get(event, EXPECTED[job]["*"])
        if result in allowed:
            continue
        line = f"{job}: {result}, must be {' or '.join(sorted(allowed))}"
        outputs = needs.get("remote", {}).get("outputs") or {}
        if job == "gate" and result == "skipped" and isinstance(outputs, dict):
            line += f" ({outputs.get('message') or WHY[job]})"
        elif job in WHY:
            line += f" ({WHY[job]})"
        found.append(line)
    missing = sorted(set(EXPECTED) - set(needs))
    found += [f"{job}: not among this job's needs: add it to `needs:`" for job in missing]
    return found


def main() -> int:
    """Exit non-zero, with a line per job, unless every needed job ended as it must."""
    needs = json.loads(os.environ.get("NEEDS") or "{}")
    found = problems(needs, os.environ.get("EVENT", ""))
    for line in found:
        print(f"::error title=Required::{line}")
    verdict = "\n".join(f"- {line}" for line in found) or "Every job ended as it must."
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        with Path(os.environ["GITHUB_STEP_SUMMARY"]).open("a") as stream:
            stream.write(f"### Required: {'FAILED' if found else 'passed'}\n\n{verdict}\n")
    print(f"required: {verdict}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
