"""Regenerate the golden sets and shipped baselines of the template (maintainers only).

A fresh project must pass its own gate, so the template ships, per task, the fixed golden
set and, per task and model, the baseline metrics that the default pipeline reaches on it.
Run this after changing the sample-data generator, the model defaults or the metrics, and to
move the projects' library resolution to a newer date:

    uv run python tests/refresh_baselines.py [--exclude-newer 2026-11-30] [variant ...]

It first sets `[tool.uv] exclude-newer` of the generated pyproject.toml (default: today), so
that every generated project resolves the libraries the baselines are measured with, then
renders each variant, runs its real pipeline (`make install repro baseline`) and copies the
results back into the template. Review the diff like any baseline change.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
PROJECT = TEMPLATE / "{{cookiecutter.project_slug}}"
GOLDEN = PROJECT / "data" / "golden" / "variants"
BASELINES = PROJECT / "metrics" / "variants"
PYPROJECT = PROJECT / "pyproject.toml"
EXCLUDE_NEWER = re.compile(r'(?m)^exclude-newer = "[^"]*"$')
GOLDEN_ROWS, GOLDEN_SEED = 3000, 20261126
TASKS = ("classification", "regression")
MODELS = ("random_forest", "gradient_boosting", "linear")


def render(where: Path, hooks: bool, **answers: str) -> Path:
    return Path(
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            output_dir=str(where),
            extra_context=answers,
            accept_hooks=hooks,
        )
    )


def sh(command: str, cwd: Path) -> None:
    print(f"$ {command}  ({cwd.name})", flush=True)
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    subprocess.run(command, shell=True, cwd=cwd, check=True, env=env)


def refresh_golden(task: str, where: Path) -> None:
    project = render(where / f"golden-{task}", hooks=False, task=task)
    out = GOLDEN / f"{task}.csv"
    sh("uv sync --quiet", project)
    script = (
        "from customer_churn.pipeline.sample_data import generate; "
        f"generate(rows={GOLDEN_ROWS}, seed={GOLDEN_SEED}, id_prefix='G')"
        f".to_csv('{out}', index=False)"
    )
    sh(f'uv run python -c "{script}"', project)


def refresh_baseline(task: str, model: str, where: Path) -> None:
    target = BASELINES / f"{task}-{model}.json"
    if not target.exists():
        target.write_text("{}\n")
    project = render(where / f"{task}-{model}", hooks=True, task=task, model=model)
    sh("make install repro baseline", project)
    baseline = json.loads((project / "metrics" / "baseline.json").read_text())
    baseline["measured_at_commit"] = "template default (tests/refresh_baselines.py)"
    target.write_text(json.dumps(baseline, indent=2, sort_keys=True) + "\n")


def pin_resolution(day: datetime.date) -> None:
    """Generated projects resolve libraries as of `day`, the day their baselines are measured."""
    text = PYPROJECT.read_text()
    assert EXCLUDE_NEWER.search(text), f"{PYPROJECT} has no exclude-newer line"
    PYPROJECT.write_text(EXCLUDE_NEWER.sub(f'exclude-newer = "{day}T00:00:00Z"', text))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exclude-newer", type=datetime.date.fromisoformat)
    parser.add_argument("only", nargs="*", help="golden, baselines or <task>-<model>")
    arguments = parser.parse_args()
    pin_resolution(arguments.exclude_newer or datetime.datetime.now(datetime.UTC).date())
    GOLDEN.mkdir(parents=True, exist_ok=True)
    BASELINES.mkdir(parents=True, exist_ok=True)
    only = arguments.only
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        for task in TASKS:
            if not only or "golden" in only:
                refresh_golden(task, where)
            for model in MODELS:
                if not only or f"{task}-{model}" in only or "baselines" in only:
                    refresh_baseline(task, model, where)
        shutil.rmtree(where, ignore_errors=True)


if __name__ == "__main__":
    main()
