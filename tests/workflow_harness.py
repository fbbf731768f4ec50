"""Run a GitHub Actions job's `run:` steps here, verbatim and in order, in a generated project.

Only `uses:` steps are emulated (see EMULATED and GITHUB_ONLY); every `run:` step is executed
with bash -eo pipefail, the env the workflow, job and step declare (GitHub expressions in
them evaluated against a small simulated context), and real files behind GITHUB_OUTPUT,
GITHUB_ENV and GITHUB_STEP_SUMMARY. A failing step stops the job, as on GitHub.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
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
    "actions/attest-build-provenance",
    "actions/github-script",  # our scripts only call GitHub's API (the drift issue)
    "peter-evans/create-pull-request",
)
DEFAULT_VARIABLES = ("event_name", "ref", "ref_name", "base_ref", "repository", "sha", "workflow")
# `run:` steps that only talk to GitHub or its registry, isolated so that everything else runs.
GITHUB_ONLY_STEPS = (
    "Tag the published image with the version",
    "Create the GitHub release",
    "Start the retrain workflow",
)


class StepFailed(AssertionError):
    """A step of the job failed; the message says which and shows its output."""

    def __init__(self, message: str, run: JobRun | None = None) -> None:
        super().__init__(message)
        self.run = run  # what the job did up to the end, for the test to inspect


class NeedsGitHub(Exception):
    """Raised by an emulator for inputs only GitHub can serve (a registry push)."""


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
    env: dict[str, str] = field(default_factory=dict)  # the workflow's and the job's `env:`
    job_outputs: dict[str, str] = field(default_factory=dict)  # what `needs.<job>.outputs` reads
    outcomes: dict[str, str] = field(default_factory=dict)  # `steps.<id>.outcome`

    def evaluate(self, expression: str) -> str:
        """The few expression forms our workflows use: lookups, 'literals' and `a || b`."""
        for operand in (part.strip() for part in expression.split("||")):
            if operand.startswith("'") and operand.endswith("'"):
                value = operand[1:-1]
            elif operand.startswith("steps.") and operand.endswith(".outcome"):
                value = self.outcomes.get(operand.split(".")[1], "")
            elif operand.startswith("steps."):
                _, step_id, _, name = operand.split(".")
                value = self.outputs.get(step_id, {}).get(name, "")
            elif operand.startswith("env."):
                value = self.env.get(operand.removeprefix("env."), "")
            elif operand in self.context:
                value = self.context[operand]
            else:
                raise StepFailed(f"the harness cannot evaluate `{operand}` in `{expression}`")
            if value:
                return value
        return ""

    def substitute(self, text: Any) -> str:
        """A YAML value as the runner passes it: booleans as true/false, expressions evaluated."""
        if isinstance(text, bool):
            return str(text).lower()
        return EXPRESSION.sub(lambda match: self.evaluate(match.group(1)), str(text))

    def condition(self, text: str) -> bool:
        """Step conditions joined by &&: always(), success(), hashFiles('glob') != '' (or ==),
        and `lookup == 'literal'`."""
        verdict = True
        for part in (piece.strip() for piece in text.split("&&")):
            if part in {"always()", "success()"}:
                continue
            found = re.fullmatch(r"hashFiles\('([^']+)'\) (!=|==) ''", part)
            if found:
                exists = any(path.is_file() for path in self.project.glob(found[1]))
                verdict = verdict and exists == (found[2] == "!=")
                continue
            found = re.fullmatch(r"(\S+) == '([^']*)'", part)
            if not found:
                raise StepFailed(f"the harness cannot evaluate the condition `{text}`")
            verdict = verdict and self.evaluate(found[1]) == found[2]
        return verdict


Emulator = Callable[["JobRun", Mapping[str, str]], Mapping[str, str] | None]


def search_root(project: Path, pattern: str) -> Path:
    """Where a search path starts: before its first wildcard, or the folder it names."""
    parts = Path(pattern).parts
    fixed = list(itertools.takewhile(lambda part: not set(part) & set("*?["), parts))
    root = project.joinpath(*fixed)
    return root if len(fixed) < len(parts) or root.is_dir() else root.parent


def upload(run: JobRun, inputs: Mapping[str, str]) -> None:
    """Store files relative to the least common ancestor of the search paths, as GitHub does."""
    patterns = inputs["path"].split()
    root = Path(os.path.commonpath([search_root(run.project, p) for p in patterns]))
    target = run.artifacts / inputs["name"]
    for pattern in patterns:
        for match in run.project.glob(pattern):
            for source in [match] if match.is_file() else match.rglob("*"):
                if source.is_file():
                    destination = target / source.relative_to(root)
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, destination)


def download(run: JobRun, inputs: Mapping[str, str]) -> None:
    source = run.artifacts / inputs["name"]
    if not source.exists():
        raise StepFailed(f"artifact {inputs['name']!r} was never uploaded")
    shutil.copytree(source, run.project / inputs.get("path", "."), dirs_exist_ok=True)


def image_metadata(run: JobRun, inputs: Mapping[str, str]) -> dict[str, str]:
    """docker/metadata-action for the two tag rules ci.yml uses: type=sha (short) and type=raw."""
    image = inputs["images"].strip()
    tags = []
    for rule in inputs["tags"].split():
        if rule == "type=sha,prefix=sha-,format=short":
            tags.append(f"{image}:sha-{run.context['github.sha'][:7]}")
        elif rule.startswith("type=raw,value="):
            tags.append(f"{image}:{rule.removeprefix('type=raw,value=')}")
        else:
            raise StepFailed(f"the harness cannot emulate the metadata-action rule {rule!r}")
    version = tags[-1].rsplit(":", 1)[1]
    return {"tags": "\n".join(tags), "labels": "", "version": version}


EMULATED: dict[str, Emulator] = {
    "actions/upload-artifact": upload,
    "actions/download-artifact": download,
    "docker/metadata-action": image_metadata,
}


def run_job(
    workflow: Path,
    job_id: str,
    project: Path,
    context: Mapping[str, str],
    artifacts: Path,
    extra: Mapping[str, Emulator] | None = None,
    runner_env: Mapping[str, str] | None = None,
) -> JobRun:
    """Execute one job; raise StepFailed at the first failing step.

    `extra` adds emulators (the image build); `runner_env` is what differs between this
    machine and a GitHub runner (a free port, say), set before the workflow's own env.
    """
    document = yaml.safe_load(workflow.read_text())
    job = document["jobs"][job_id]
    run = JobRun(project, dict(context), artifacts)
    emulators = {**EMULATED, **(extra or {})}
    files = {name: artifacts / f"{job_id}.{name}" for name in ("output", "env", "summary")}
    for path in files.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    for scope in (document, job):
        run.env.update({k: run.substitute(v) for k, v in (scope.get("env") or {}).items()})
    base_env = {
        **os.environ,
        **(runner_env or {}),
        **run.env,
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        # The default variables a runner sets, from the same simulated context.
        **{
            f"GITHUB_{key.removeprefix('github.').upper()}": value
            for key, value in run.context.items()
            if key.removeprefix("github.") in DEFAULT_VARIABLES
        },
        "GITHUB_STEP_SUMMARY": str(files["summary"]),
        "GITHUB_ENV": str(files["env"]),
    }
    base_env.pop("VIRTUAL_ENV", None)
    failure: str | None = None
    for number, step in enumerate(job["steps"], 1):
        name = step.get("name", f"step {number}")
        condition = step.get("if", "success()")
        after_failure = failure is not None and "always()" not in condition
        step_id = step.get("id", f"step-{number}")
        if after_failure or not run.condition(condition):
            run.results.append(StepResult(job_id, name, "skipped (if)"))
            run.outcomes[step_id] = "skipped"
            continue
        if name in GITHUB_ONLY_STEPS:
            run.results.append(StepResult(job_id, name, "skipped (needs GitHub)"))
            run.outcomes[step_id] = "skipped"
            continue
        if "uses" in step:
            run.results.append(emulate(run, job_id, name, step, emulators))
            run.outcomes[step_id] = "success"
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
        run.outcomes[step_id] = "success" if result.returncode == 0 else "failure"
        if result.returncode != 0 and failure is None:
            failure = f"{job_id} / {name}: `{step['run']}` exited {result.returncode}\n"
            failure += output[-4000:]
    run.job_outputs = {k: run.substitute(v) for k, v in (job.get("outputs") or {}).items()}
    if failure:
        raise StepFailed(failure, run)
    return run


def needs(job_id: str, run: JobRun) -> dict[str, str]:
    """The context entries `needs.<job_id>.outputs.<name>` of a later job."""
    return {f"needs.{job_id}.outputs.{k}": v for k, v in run.job_outputs.items()}


def emulate(
    run: JobRun, job_id: str, name: str, step: Mapping[str, Any], emulators: Mapping[str, Emulator]
) -> StepResult:
    """Stand in for a `uses:` step; its outputs land where `steps.<id>.outputs` reads them."""
    action = step["uses"].split("@")[0]
    if action in NO_OP:
        return StepResult(job_id, name, "emulated")
    if action not in emulators:
        if action in GITHUB_ONLY:
            return StepResult(job_id, name, "skipped (needs GitHub)")
        raise StepFailed(f"{job_id} / {name}: no emulation for action {action!r}")
    inputs = {k: run.substitute(v) for k, v in (step.get("with") or {}).items()}
    started = time.perf_counter()
    try:
        outputs = emulators[action](run, inputs)
    except NeedsGitHub as reason:
        return StepResult(job_id, name, "skipped (needs GitHub)", output=str(reason))
    if "id" in step:
        run.outputs[step["id"]] = dict(outputs or {})
    return StepResult(job_id, name, "emulated", time.perf_counter() - started)


def key_values(path: Path) -> dict[str, str]:
    """KEY=VALUE lines, as GitHub reads GITHUB_OUTPUT and GITHUB_ENV."""
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


@dataclass
class GitHubApi:
    """GitHub's REST API as a test states it: answers by endpoint (`issues.listEvents`), and
    the calls and messages a github-script step made."""

    answers: dict[str, Any]
    calls: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, str]] = field(default_factory=list)


def github_script(payload: Mapping[str, Any], api: GitHubApi) -> Emulator:
    """actions/github-script: the step's own script, run by node against `payload` and `api`."""
    runner = Path(__file__).with_name("github_script.js")

    def script(run: JobRun, inputs: Mapping[str, str]) -> dict[str, str]:
        owner, name = run.context["github.repository"].split("/")
        context = {
            "payload": payload,
            "eventName": run.context["github.event_name"],
            "actor": run.context.get("github.actor", ""),
            "repo": {"owner": owner, "repo": name},
        }
        with tempfile.TemporaryDirectory() as tmp:
            script_file, state = Path(tmp) / "script.js", Path(tmp) / "run.json"
            script_file.write_text(inputs["script"])
            state.write_text(json.dumps({"context": context, "api": api.answers}))
            result = subprocess.run(
                ["node", str(runner), str(script_file), str(state)],
                capture_output=True,
                text=True,
                check=False,
            )
            done = json.loads(state.read_text())
        api.calls += done["calls"]
        api.messages += done["messages"]
        if result.returncode != 0:
            failed = [m["message"] for m in done["messages"] if m["level"] == "failed"]
            raise StepFailed(f"github-script failed: {failed or result.stderr}")
        return done["outputs"]

    return script
