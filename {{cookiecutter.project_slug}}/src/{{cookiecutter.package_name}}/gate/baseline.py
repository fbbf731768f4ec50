"""`make baseline`: accept the current golden metrics as the new baseline.

The result is meant for a reviewed commit: the gate only trusts a baseline once it is
committed on the target branch.
"""

from __future__ import annotations

import argparse
import logging
import math

from {{ cookiecutter.package_name }}.core import git
from {{ cookiecutter.package_name }}.core.params import load_params
from {{ cookiecutter.package_name }}.core.records import Baseline, GoldenReport

log = logging.getLogger(__name__)


def run(args: argparse.Namespace) -> int:
    """Copy the golden metrics to the baseline, stamped with the commit; refuse NaN or infinity."""
    paths = load_params().paths
    if not paths.golden_metrics.is_file():
        raise FileNotFoundError(f"{paths.golden_metrics} is missing: run `make repro` first")
    current = GoldenReport.load(paths.golden_metrics)
    bad = [name for name, value in current.metrics.items() if not math.isfinite(value)]
    if bad:
        log.error(f"baseline: refusing non-finite metrics: {', '.join(bad)}")
        return 1
    accepted = Baseline(**dict(current), measured_at_commit=git.commit())
    accepted.save(paths.baseline)
    print(f"wrote {paths.baseline}; review `git diff {paths.baseline}` and commit it")
    return 0
