"""`template-update`: take the template's changes since this project was made, and report them.

.cruft.json records the template and the commit this project was made from. cruft renders
that commit and the template's latest one with this project's answers and applies the
difference as a three-way merge, so your edits stay; what cannot merge is left as conflict
markers or *.rej files, listed in reports/template-update.md (template-update.yml's pull
request body). [tool.cruft] skip (pyproject.toml) lists the files that are yours alone.
Needs cruft on PATH: `make template-update` runs this with the `template` group.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from {{ cookiecutter.package_name }}.core.files import read_json, write_text

STATE = Path(".cruft.json")
REPORT = Path("reports/template-update.md")
NOT_LINKED = (
    f"no {STATE}: link the project to its template first: "
    "uv run --group template cruft link <template URL>"
)


def template_commit(state: Path = STATE) -> str:
    """The template commit the project is on, as .cruft.json records it."""
    return str(read_json(state)["commit"])


def _output(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def conflicts(root: Path = Path()) -> list[str]:
    """Files that did not merge cleanly: *.rej files, and git's unmerged paths."""
    rejected = {
        str(path.relative_to(root))
        for path in root.rglob("*.rej")
        if ".venv" not in path.relative_to(root).parts
    }
    unmerged = _output("git", "diff", "--name-only", "--diff-filter=U").split()
    return sorted(rejected | set(unmerged))


def compose(before: str, after: str, changed: list[str], unmerged: list[str]) -> str:
    """The report: the commits, `git status --short` lines, and what needs a hand."""
    lines = [
        "## Template update",
        "",
        f"The template moved from `{before[:12]}` to `{after[:12]}`; its changes are merged",
        "with this project's (cruft, three-way), and uv.lock is locked again.",
        "",
        "Changed files:",
        "",
        *(f"    {line}" for line in changed),
        "",
    ]
    if unmerged:
        lines += [
            "**Needs a hand**: these did not merge cleanly (conflict markers or .rej files):",
            "",
            *(f"    {name}" for name in unmerged),
        ]
    else:
        lines.append("Everything merged cleanly.")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    """Update, lock, write the report; exit 2 when the project is not linked to a template."""
    if not STATE.is_file():
        print(f"template-update: {NOT_LINKED}", file=sys.stderr)
        return 2
    REPORT.unlink(missing_ok=True)
    if subprocess.run(["cruft", "check"], capture_output=True, check=False).returncode == 0:
        print("template-update: already on the template's latest version")
        return 0
    before = template_commit()
    subprocess.run(["cruft", "update", "--skip-apply-ask", "--allow-untracked-files"], check=True)
    after = template_commit()
    subprocess.run(["uv", "lock", "--quiet"], check=True)
    changed = _output("git", "status", "--short").splitlines()
    report = compose(before, after, changed, conflicts())
    write_text(REPORT, report)
    sys.stdout.write(report)
    return 0
