"""`retrain-body`: the body of retrain.yml's pull request, from the gate's report.

The gate's table (reports/gate.md, after `make gate`) read as champion (the baseline on the
default branch) against challenger (the model trained on the latest data).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from {{ cookiecutter.package_name }}.core.files import write_text

GATE_REPORT = Path("reports/gate.md")
BODY = Path("reports/retrain-pr.md")
INTRO = """\
Scheduled retraining on the latest data. The challenger (this branch's model)
passed the gate against the champion (the baseline on the default branch); merging
makes its golden-set metrics the new baseline. Data and model versions are in dvc.lock.
"""


def compose(gate_report: str) -> str:
    """The intro, then the gate's report with its columns named champion and challenger."""
    table = "\n".join(
        line.replace("| baseline |", "| champion (baseline) |", 1).replace(
            "| candidate |", "| challenger |", 1
        )
        for line in gate_report.splitlines()
    )
    return f"{INTRO}\n{table}\n"


def run(args: argparse.Namespace) -> int:
    """Write reports/retrain-pr.md; a missing gate report says to run `make gate` (exit 5)."""
    if not GATE_REPORT.is_file():
        raise FileNotFoundError(f"{GATE_REPORT} is missing: run make gate first")
    write_text(BODY, compose(GATE_REPORT.read_text(encoding="utf-8")))
    print(f"retrain-body: wrote {BODY}")
    return 0
