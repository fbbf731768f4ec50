"""Run a GitHub Actions job's `run:` steps here, verbatim and in order, in a generated project.

Only `uses:` steps are emulated (see EMULATED and GITHUB_ONLY); every `run:` step is executed
with bash -eo pipefail, the env the workflow, job and step declare (GitHub expressions in
them evaluated against a small simulated context), and real files behind GITHUB_OUTPUT,
GITHUB_ENV and GITHUB_STEP_SUMMARY. A failing step stops the job, as on GitHub.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
NO_OP = ("actions/checkout", "astral-sh/setup-uv", "docker/setup-buildx-action")
GITHUB_ONLY = (
    "marocchino/sticky-pull-request-comment",
    "docker/login-action",
    "docker/metadata-action",
    "actions/attest-build-provenance",
)


class StepFailed(AssertionError):
    """A step of the job failed; the message says which and shows its output."""


@dataclass
class StepResult:
    job: str
    name: str
    status: str  # "ran", "emulated", "skipped (needs GitHub)", "skipped (if)"
    seconds: float = 0.0
    output: str = ""


@dataclass
class JobRun:
    project: Path
    context: dict[str, str]
    artifacts: Path
    results: list[StepResult] = field(default_factory=list)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)

    def evaluate(self, expression: str) -> str:
        """The few expression forms our workflows use: lookups, 'literals' and `a || b`."""
        for operand in (part.strip() for part in expression.split("||")):
            if operand.startswith("'") and operand.endswith("'"):
                value = operand[1:-1]
            elif operand.startswith("steps."):
                _, step_id, _, name = operand.split(".")
                value = self.outputs.get(step_id, {}).get(name, "")
            elif operand in self.context:
                value = self.context[operand]
            else:
                raise StepFailed(f"the harness cannot evaluate `{operand}` in `{expression}`")
            if value:
                return value
        return ""

    def substitute(self, text: Any) -> str:
        return EXPRESSION.sub(lambda match: self.evaluate(match.group(1)), str(text))

    def condition(self, text: str) -> bool:
        """Step conditions: always(), hashFiles('x') != '' and success(), joined by &&."""
        verdict = True
        for part in (piece.strip() for piece in text.split("&&")):
            if part in {"always()", "success()"}:
                continue
            found = re.fullmatch(r"hashFiles\('([^']+)'\) != ''", part)
            if not found:
                raise StepFailed(f"the harness cannot evaluate the condition `{text}`")
            verdict = verdict and (self.project / found.group(1)).exists()
        return verdict


def upload(run: JobRun, inputs: Mapping[str, str]) -> None:
    target = run.artifacts / inputs["name"]
    for line in inputs["path"].split():
        source = run.project / line
        if source.is_dir():
            shutil.copytree(source, target / line, dirs_exist_ok=True)
        elif source.exists():
            (target / line).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / line)


def download(run: JobRun, inputs: Mapping[str, str]) -> None:
    source = run.artifacts / inputs["name"]
    if not source.exists():
        raise StepFailed(f"artifact {inputs['name']!r} was never uploaded")
    shutil.copytree(source, run.project / inputs.get("path", "."), dirs_exist_ok=True)


EMULATED: dict[str, Callable[[JobRun, Mapping[str, str]], None]] = {
    "actions/upload-artifact": upload,
    "actions/download-artifact": download,
}


def run_job(
    workflow: Path,
    job_id: str,
    project: Path,
    context: Mapping[str, str],
    artifacts: Path,
    extra: Mapping[str, Callable[[JobRun, Mapping[str, str]], None]] | None = None,
) -> JobRun:
    """Execute one job; raise StepFailed at the first failing step."""
    document = yaml.safe_load(workflow.read_text())
    job = document["jobs"][job_id]
    run = JobRun(project, dict(context), artifacts)
    emulators = {**EMULATED, **(extra or {})}
    files = {name: artifacts / f"{job_id}.{name}" for name in ("output", "env", "summary")}
    for path in files.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    base_env = {
        **os.environ,
        **{k: run.substitute(v) for k, v in (document.get("env") or {}).items()},
        **{k: run.substitute(v) for k, v in (job.get("env") or {}).items()},
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(files["summary"]),
        "GITHUB_ENV": str(files["env"]),
    }
    base_env.pop("VIRTUAL_ENV", None)
    failure: str | None = None
    for number, step in enumerate(job["steps"], 1):
        name = step.get("name", f"step {number}")
        condition = step.get("if", "success()")
        after_failure = failure is not None and "always()" not in condition
        if after_failure or not run.condition(condition):
            run.results.append(StepResult(job_id, name, "skipped (if)"))
            continue
        if "uses" in step:
            action = step["uses"].split("@")[0]
            inputs = {k: run.substitute(v) for k, v in (step.get("with") or {}).items()}
            if action in NO_OP:
                run.results.append(StepResult(job_id, name, "emulated"))
            elif action in GITHUB_ONLY:
                run.results.append(StepResult(job_id, name, "skipped (needs GitHub)"))
            elif action in emulators:
                emulators[action](run, inputs)
                run.results.append(StepResult(job_id, name, "emulated"))
            else:
                raise StepFailed(f"{job_id} / {name}: no emulation for action {action!r}")
            continue
        files["output"].write_text("")
        env = {
            **base_env,
            **{k: run.substitute(v) for k, v in (step.get("env") or {}).items()},
            "GITHUB_OUTPUT": str(files["output"]),
        }
        started = time.perf_counter()
        result = subprocess.run(
            ["bash", "-eo", "pipefail", "-c", step["run"]],
            cwd=project / step.get("working-directory", "."),
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        output = result.stdout + result.stderr
        if "id" in step:
            run.outputs[step["id"]] = key_values(files["output"])
        base_env.update(key_values(files["env"]))
        run.results.append(StepResult(job_id, name, "ran", seconds, output))
        if result.returncode != 0 and failure is None:
            failure = f"{job_id} / {name}: `{step['run']}` exited {result.returncode}\n"
            failure += output[-4000:]
    if failure:
        raise StepFailed(failure)
    return run


def key_values(path: Path) -> dict[str, str]:
    """KEY=VALUE lines, as GitHub reads GITHUB_OUTPUT and GITHUB_ENV."""
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)
