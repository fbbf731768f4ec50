"""Run a GitHub Actions workflow here, job by job, as a hosted runner would.

- **Events as GitHub sends them.** A run starts from an `Event` (tests/github_events.py):
  the `github` context, the default `GITHUB_*` variables and `GITHUB_EVENT_PATH` come from
  the trigger's documented payload, so a field absent on GitHub (a schedule run's
  `repository`) is absent here too, and expressions read it as null.
- **Each job in its own fresh checkout.** `actions/checkout` is a real clone of the
  repository's origin at the event's commit (the full history with `fetch-depth: 0`, one
  commit otherwise); nothing a job leaves on disk reaches another job. Jobs exchange only
  what they declare: artifacts (`actions/upload-artifact` / `download-artifact`, with
  GitHub's path rules) and job outputs (`needs.<job>.outputs`).
- **Every `run:` step verbatim**, with bash -eo pipefail, the env the workflow, job and step
  declare (expressions evaluated by tests/github_expressions.py) and real files behind
  GITHUB_OUTPUT, GITHUB_ENV and GITHUB_STEP_SUMMARY. Job and step `if:` are evaluated; a
  failing step stops the job. A job's `success()` looks up the whole `needs` chain, as
  GitHub's does: a job that failed or was skipped anywhere above skips every job below it
  that does not ask `always()` or `!cancelled()` (its `needs` context names only its own).
- **`uses:` steps are emulated** (EMULATED, plus what a test adds) or, when only GitHub can
  do them (a comment, a release, a login), recorded as "skipped (needs GitHub)" with the
  inputs they would have received, so a test can check what would be posted.

The registry is this machine's image store: what the build emulator stored is what a push
published, and the steps' `docker` command (tests/docker_cli.py) reads it.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import containers
from .conftest import runner_env
from .github_events import DEFAULT_TOKEN, Event
from .github_expressions import condition, interpolate, to_string

NO_OP = ("astral-sh/setup-uv", "docker/setup-buildx-action", "actions/setup-python")
GITHUB_ONLY = (
    "marocchino/sticky-pull-request-comment",
    "docker/login-action",
    "actions/attest-build-provenance",
    "peter-evans/create-pull-request",
    # OIDC sign-in to the DVC remote's cloud: only GitHub issues the token.
    "aws-actions/configure-aws-credentials",
    "google-github-actions/auth",
    "azure/login",
)
# `run:` steps that only talk to GitHub's API, isolated so that everything else runs.
GITHUB_ONLY_STEPS = ("Create the GitHub release", "Start the retrain workflow")
TESTS = Path(__file__).resolve().parent
# A parsed workflow file (YAML 1.1 reads a bare `on` key as True).
Workflow = Mapping[str | bool, Any]


class StepFailed(AssertionError):  # noqa: N818 - pytest reports it as what it is: a failed step
    """A step of the job failed; the message says which and shows its output."""

    def __init__(self, message: str, run: JobRun | None = None) -> None:
        super().__init__(message)
        self.run = run  # what the job did up to the end, for the test to inspect


class NeedsGitHubError(Exception):
    """Raised by an emulator for what only GitHub can do."""


@dataclass
class StepResult:
    job: str
    name: str
    status: str  # "ran", "emulated", "skipped (needs GitHub)", "skipped (if)"
    seconds: float = 0.0
    output: str = ""
    inputs: dict[str, str] = field(default_factory=dict)
    outcome: str = "success"


@dataclass
class JobRun:
    """One job of a run: its checkout, its steps and what it hands on."""

    job_id: str
    workspace: Path
    event: Event
    store: Path  # the run's artifacts and the job's summary/output files
    contexts: dict[str, Any]
    results: list[StepResult] = field(default_factory=list)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)  # steps.<id>.outputs
    job_outputs: dict[str, str] = field(default_factory=dict)  # jobs.<id>.outputs
    result: str = "success"  # success, failure or skipped, as needs.<id>.result reads it
    failure: str | None = None

    @property
    def artifacts(self) -> Path:
        return self.store / "artifacts"

    @property
    def summary(self) -> str:
        path = self.store / f"{self.job_id}.summary"
        return path.read_text() if path.is_file() else ""

    def status(self) -> dict[str, str]:
        return {result.name: result.status for result in self.results}

    def step(self, name: str) -> StepResult:
        return next(result for result in self.results if result.name == name)

    def functions(self) -> dict[str, Callable[..., Any]]:
        failed = self.failure is not None
        return {
            "success": lambda: not failed,
            "failure": lambda: failed,
            "always": lambda: True,
            "cancelled": lambda: False,
            "hashFiles": lambda *patterns: hash_files(self.workspace, patterns),
        }

    def expression_contexts(self) -> dict[str, Any]:
        steps = {
            step_id: {"outputs": outputs, "outcome": self.outcome_of(step_id)}
            for step_id, outputs in self.outputs.items()
        }
        return {**self.contexts, "steps": steps}

    def outcome_of(self, step_id: str) -> str:
        return str(self.contexts.get("_outcomes", {}).get(step_id, ""))

    def substitute(self, value: Any) -> str:
        """A YAML value as the runner passes it: booleans as true/false, expressions evaluated."""
        if isinstance(value, bool):
            return str(value).lower()
        return interpolate(str(value), self.expression_contexts(), self.functions())

    def check(self, text: str | bool) -> bool:
        return condition(text, self.expression_contexts(), self.functions())


Emulator = Callable[[JobRun, Mapping[str, str]], Mapping[str, str] | None]


def hash_files(workspace: Path, patterns: tuple[str, ...]) -> str:
    """hashFiles(): a hash of the matching files, '' when none match."""
    found = sorted(
        {
            path
            for pattern in patterns
            # glob.glob, as written: Path.glob differs on dotfiles and on a bare `**`
            for path in glob.glob(str(workspace / pattern), recursive=True)  # noqa: PTH207
            if Path(path).is_file()
        }
    )
    if not found:
        return ""
    digest = hashlib.sha256()
    for path in found:
        digest.update(hashlib.sha256(Path(path).read_bytes()).digest())
    return digest.hexdigest()


# --- triggers -----------------------------------------------------------------------------


def filter_pattern(pattern: str) -> re.Pattern[str]:
    """GitHub's filter pattern syntax: `*` (no `/`), `**`, `?`, `+`, `[...]`."""
    out, index = "", 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**", index):
            out, index = out + ".*", index + 2
            continue
        if char == "*":
            out += "[^/]*"
        elif char in "?+":
            out += char
        elif char == "[":
            end = pattern.index("]", index)
            out += pattern[index : end + 1]
            index = end
        elif char == "\\":
            index += 1
            out += re.escape(pattern[index])
        else:
            out += re.escape(char)
        index += 1
    return re.compile(out + r"\Z")


def matches_filters(name: str, patterns: list[str]) -> bool:
    """Filters apply in order; a `!pattern` excludes what matched before."""
    matched = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if filter_pattern(pattern.removeprefix("!")).match(name):
            matched = not negated
    return matched


def on_of(document: Workflow) -> dict[str, Any]:
    triggers = document.get("on", document.get(True))  # YAML 1.1 reads a bare `on` as True
    if isinstance(triggers, str):
        return {triggers: None}
    if isinstance(triggers, list):
        return dict.fromkeys(triggers)
    return dict(triggers or {})


def triggers(document: Workflow, event: Event) -> bool:
    """Whether `event` starts a run of this workflow (event name, branches and tags filters)."""
    spec = on_of(document)
    if event.name not in spec:
        return False
    filters = spec[event.name] or {}
    if event.name == "pull_request":
        branches = filters.get("branches")
        return branches is None or matches_filters(event.base_ref, branches)
    if event.name == "push":
        kind = "tags" if event.ref.startswith("refs/tags/") else "branches"
        other = "branches" if kind == "tags" else "tags"
        if kind not in filters and (other in filters or f"{other}-ignore" in filters):
            return False
        if kind in filters:
            return matches_filters(event.ref_name, filters[kind])
        ignored = filters.get(f"{kind}-ignore")
        return not (ignored and matches_filters(event.ref_name, ignored))
    return True


# --- emulated actions ---------------------------------------------------------------------


def checkout(run: JobRun, inputs: Mapping[str, str]) -> None:
    """actions/checkout: a fresh clone of origin at the event's commit, as the action fetches.

    `fetch-depth: 0` fetches every branch (as origin/<branch>) and tag; otherwise only the
    commit itself, shallow, with `fetch-depth - 1` of its ancestors. A pull request's merge
    commit is fetched from refs/pull/<n>/merge like GitHub's.
    """
    origin = run.contexts["_origin"]
    workspace = run.workspace
    if workspace.exists():
        shutil.rmtree(workspace)
    workspace.mkdir(parents=True)
    ref = inputs.get("ref") or run.event.sha
    git = ["git", "-C", str(workspace)]
    subprocess.run([*git, "init", "--quiet"], check=True)
    subprocess.run([*git, "remote", "add", "origin", str(origin)], check=True)
    depth = inputs.get("fetch-depth", "1")
    if depth == "0":
        refspecs = ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"]
        fetch = [*git, "fetch", "--quiet", "--prune", "origin", *refspecs]
        if run.event.name == "pull_request":
            fetch.append(f"+{run.event.ref}:refs/remotes/pull/{run.event.ref_name}")
        subprocess.run(fetch, check=True, capture_output=True)
    else:
        subprocess.run(
            [*git, "fetch", "--quiet", "--no-tags", f"--depth={depth}", "origin", ref],
            check=True,
            capture_output=True,
        )
    subprocess.run([*git, "checkout", "--quiet", "--detach", ref], check=True)


def search_root(workspace: Path, pattern: str) -> Path:
    """Where a search path starts: before its first wildcard, or the folder it names."""
    parts = Path(pattern).parts
    fixed: list[str] = []
    for part in parts:
        if set(part) & set("*?["):
            break
        fixed.append(part)
    root = workspace.joinpath(*fixed)
    return root if len(fixed) < len(parts) or root.is_dir() else root.parent


def upload(run: JobRun, inputs: Mapping[str, str]) -> dict[str, str]:
    """Store files relative to the least common ancestor of the search paths, as GitHub does."""
    patterns = [line.strip() for line in inputs["path"].splitlines() if line.strip()]
    root = Path(os.path.commonpath([search_root(run.workspace, p) for p in patterns]))
    target = run.artifacts / inputs["name"]
    if target.exists():
        raise StepFailed(f"an artifact named {inputs['name']!r} was already uploaded in this run")
    found = 0
    for pattern in patterns:
        for match in run.workspace.glob(pattern):
            for source in [match] if match.is_file() else match.rglob("*"):
                if source.is_file():
                    destination = target / source.relative_to(root)
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, destination)
                    found += 1
    if not found and inputs.get("if-no-files-found", "warn") == "error":
        raise StepFailed(f"no files were found with the provided path: {inputs['path']}")
    number = len(list(run.artifacts.iterdir()))
    github = run.contexts["github"]
    url = f"{github['server_url']}/{github['repository']}/actions/runs/{github['run_id']}"
    return {"artifact-id": str(number), "artifact-url": f"{url}/artifacts/{number}"}


def download(run: JobRun, inputs: Mapping[str, str]) -> None:
    source = run.artifacts / inputs["name"]
    if not source.exists():
        raise StepFailed(f"artifact {inputs['name']!r} was never uploaded in this run")
    shutil.copytree(source, run.workspace / inputs.get("path", "."), dirs_exist_ok=True)


def image_metadata(run: JobRun, inputs: Mapping[str, str]) -> dict[str, str]:
    """docker/metadata-action for the tag rules our workflows use (type=sha short, type=raw).

    And the OCI labels it derives (source, revision, version).
    """
    image = inputs["images"].strip()
    tags = []
    for rule in inputs["tags"].split():
        if rule == "type=sha,prefix=sha-,format=short":
            tags.append(f"{image}:sha-{run.event.sha[:7]}")
        elif rule.startswith("type=raw,value="):
            tags.append(f"{image}:{rule.removeprefix('type=raw,value=')}")
        else:
            raise StepFailed(f"the harness cannot emulate the metadata-action rule {rule!r}")
    version = tags[0].rsplit(":", 1)[1]
    github = run.contexts["github"]
    labels = {  # the OCI labels metadata-action derives from the run
        "org.opencontainers.image.source": f"{github['server_url']}/{github['repository']}",
        "org.opencontainers.image.revision": run.event.sha,
        "org.opencontainers.image.version": version,
    }
    return {
        "tags": "\n".join(tags),
        "labels": "\n".join(f"{key}={value}" for key, value in labels.items()),
        "version": version,
    }


def image_build(base_image: str | None, built: list[str] | None = None) -> Emulator:
    """docker/build-push-action, built by the engine tests/containers.py chose.

    The same context, Dockerfile, tags and build args. The registry is the local image store, so a
    push publishes what the build stored (`push: true` after a `load: true` build reuses it, as
    BuildKit reuses its cache). With buildah the Dockerfile's first FROM is replaced by
    `base_image`: the pinned base lives in a registry out of reach here. Tags it makes are added to
    `built`.
    """

    def build(run: JobRun, inputs: Mapping[str, str]) -> dict[str, str]:
        tags = [tag for tag in re.split(r"[\s,]+", inputs["tags"]) if tag]
        build_args = dict(line.split("=", 1) for line in inputs.get("build-args", "").split())
        labels = dict(line.split("=", 1) for line in inputs.get("labels", "").splitlines() if line)
        context = run.workspace / inputs.get("context", ".")
        if not (inputs.get("push") == "true" and all(map(containers.image_exists, tags))):
            containers.build(
                context,
                context / "Dockerfile",
                tags[0],
                build_args,
                base_image=base_image,
                labels=labels,
            )
            for tag in tags[1:]:
                containers.tag(tags[0], tag)
            if built is not None:
                built.extend(tags)
        return {
            "digest": containers.image_digest(tags[0]),
            "imageid": containers.image_digest(tags[0]),
        }

    return build


def create_pull_request(allowed: bool) -> Emulator:
    """peter-evans/create-pull-request, as far as GitHub's answer goes.

    With the workflow's own token GitHub refuses unless the repository allows Actions to create pull
    requests (`allowed`). What would be proposed is kept in the step's inputs.
    """

    def propose(run: JobRun, inputs: Mapping[str, str]) -> dict[str, str]:
        if inputs.get("token", DEFAULT_TOKEN) == DEFAULT_TOKEN and not allowed:
            raise StepFailed("GitHub Actions is not permitted to create or approve pull requests.")
        raise NeedsGitHubError("opens the pull request")

    return propose


EMULATED: dict[str, Emulator] = {
    "actions/checkout": checkout,
    "actions/upload-artifact": upload,
    "actions/download-artifact": download,
    "docker/metadata-action": image_metadata,
}


# --- running jobs -------------------------------------------------------------------------


@dataclass
class Runner:
    """What the hosted runner provides, here.

    Where runs happen, the environment that differs from GitHub's (a free port, short waits),
    repository variables, and the emulators a test adds (the image build).
    """

    root: Path
    origin: Path
    env: dict[str, str] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)
    emulators: dict[str, Emulator] = field(default_factory=dict)

    def docker_command(self) -> dict[str, str]:
        """PATH and state for the steps' `docker` (tests/docker_cli.py)."""
        folder = self.root / "docker-cli"
        (folder / "bin").mkdir(parents=True, exist_ok=True)
        script = folder / "bin" / "docker"
        script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{TESTS / "docker_cli.py"}" "$@"\n')
        script.chmod(0o755)
        engine = containers.engine()
        env = {
            "PATH": f"{folder / 'bin'}{os.pathsep}{os.environ['PATH']}",
            "MLOPS_TEMPLATE_ENGINE": engine,
            "MLOPS_DOCKER_CLI_STATE": str(folder / "state"),
        }
        real = shutil.which("docker")
        if engine == "docker" and real:
            env["MLOPS_REAL_DOCKER"] = real
        return env


def load(origin: Path, sha: str, name: str) -> Workflow:
    """The workflow file as committed at the event's commit: what GitHub runs."""
    text = subprocess.run(
        ["git", "--git-dir", str(origin), "show", f"{sha}:.github/workflows/{name}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    document: Workflow = yaml.safe_load(text)
    return document


def run_workflow(
    name: str,
    event: Event,
    runner: Runner,
    jobs: list[str] | None = None,
    *,
    check: bool = True,
    artifacts_from: Mapping[str, JobRun] | None = None,
    assumed: tuple[str, ...] = (),
) -> dict[str, JobRun]:
    """Run the workflow `name` for `event`: its jobs (all, or those listed) in `needs` order.

    The workflow is read as committed at the event's commit.

    Jobs are skipped as on GitHub: by their `if:`, or because a job they need did not
    succeed (unless their `if:` asks for `always()`); a job that is not listed counts as
    skipped. `artifacts_from` re-runs jobs of an earlier run, with its artifacts (GitHub's
    "re-run failed jobs"). `assumed` jobs count as succeeded without running (another test
    runs them; no artifact or output of theirs is made up). With `check`, the first failing
    job raises StepFailed.
    """
    document = load(runner.origin, event.sha, name)
    if not triggers(document, event):
        raise StepFailed(f"{name} does not run on this {event.name} event")
    event = event.for_workflow(document.get("name", name))
    store = (
        runner.root / f"run-{Path(name).stem}-{event.name}-{event.sha[:7]}-{time.monotonic_ns()}"
    )
    store.mkdir(parents=True)
    runs: dict[str, JobRun] = {}
    if artifacts_from:
        earlier = next(iter(artifacts_from.values()))
        shutil.copytree(earlier.artifacts, store / "artifacts")
        runs.update(artifacts_from)
    else:
        (store / "artifacts").mkdir()
    for job_id in assumed:
        runs[job_id] = JobRun(job_id, store, event, store, {}, result="success")
    for job_id in ordered(document["jobs"], jobs):
        runs[job_id] = run_job(document, job_id, event, runner, store=store, previous=runs)
        if check and runs[job_id].result == "failure":
            raise StepFailed(runs[job_id].failure or f"{job_id} failed", runs[job_id])
    return runs


def ordered(jobs: Mapping[str, Any], wanted: list[str] | None) -> list[str]:
    """Job ids in an order that respects `needs` (only the wanted ones)."""
    done: list[str] = []

    def visit(job_id: str) -> None:
        if job_id in done:
            return
        for needed in needs_of(jobs[job_id]):
            visit(needed)
        done.append(job_id)

    for job_id in jobs:
        visit(job_id)
    return [job_id for job_id in done if wanted is None or job_id in wanted]


def ancestors(jobs: Mapping[str, Any], job_id: str) -> set[str]:
    """Every job above `job_id` in the `needs` chain: what its `success()` looks at."""
    found: set[str] = set()
    stack = needs_of(jobs[job_id])
    while stack:
        job = stack.pop()
        if job not in found:
            found.add(job)
            stack += needs_of(jobs[job])
    return found


def needs_of(job: Mapping[str, Any]) -> list[str]:
    needs = job.get("needs") or []
    return [needs] if isinstance(needs, str) else list(needs)


def run_job(
    document: Workflow,
    job_id: str,
    event: Event,
    runner: Runner,
    *,
    store: Path,
    previous: Mapping[str, JobRun],
) -> JobRun:
    """Execute one job in a fresh workspace; its result says what `needs` will read."""
    job = document["jobs"][job_id]
    workspace = runner.root / "work" / f"{store.name}-{job_id}"
    needs = {
        needed: {
            "result": previous[needed].result if needed in previous else "skipped",
            "outputs": previous[needed].job_outputs if needed in previous else {},
        }
        for needed in needs_of(job)
    }
    payload_file = store / "event.json"
    payload_file.write_text(json.dumps(event.payload, indent=2))
    contexts: dict[str, Any] = {
        "github": {**event.github(), "job": job_id, "workspace": str(workspace)},
        "env": {},
        "vars": dict(runner.variables),
        "secrets": {"GITHUB_TOKEN": DEFAULT_TOKEN},
        "inputs": dict(event.payload.get("inputs") or {}),
        "needs": needs,
        "job": {"status": "success"},
        "runner": {"os": "Linux", "arch": "X64", "temp": str(store / "tmp")},
        "matrix": {},
        "strategy": {},
        "_origin": runner.origin,
        "_outcomes": {},
    }
    run = JobRun(job_id, workspace, event, store, contexts)
    chain = ancestors(document["jobs"], job_id)
    needs_ok = all(previous[up].result == "success" if up in previous else False for up in chain)
    job_if = job.get("if", "success()")
    run.failure = None if needs_ok else "a needed job did not succeed"
    if not run.check(job_if):
        run.result, run.failure = "skipped", None
        return run
    run.failure = None
    files = {name: store / f"{job_id}.{name}" for name in ("output", "env", "summary", "path")}
    for path in files.values():
        path.write_text("")
    for scope in (document, job):
        for key, value in (scope.get("env") or {}).items():
            contexts["env"][key] = run.substitute(value)
    (store / "tmp").mkdir(exist_ok=True)
    workspace.mkdir(parents=True, exist_ok=True)  # GITHUB_WORKSPACE exists before any checkout
    base_env = {
        **runner_env(),
        **runner.docker_command(),
        **runner.env,
        **event.variables(),
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_JOB": job_id,
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_EVENT_PATH": str(payload_file),
        "GITHUB_STEP_SUMMARY": str(files["summary"]),
        "GITHUB_ENV": str(files["env"]),
        "GITHUB_PATH": str(files["path"]),
        "RUNNER_TEMP": str(store / "tmp"),
        **contexts["env"],
    }
    emulators = {**EMULATED, **runner.emulators}
    for number, step in enumerate(job["steps"], 1):
        name = step.get("name", f"step {number}")
        if not run.check(step.get("if", "success()")):
            run.results.append(StepResult(job_id, name, "skipped (if)", outcome="skipped"))
            record(run, step, "skipped")
            continue
        if name in GITHUB_ONLY_STEPS:
            env = {k: run.substitute(v) for k, v in (step.get("env") or {}).items()}
            run.results.append(StepResult(job_id, name, "skipped (needs GitHub)", inputs=env))
            continue
        if "uses" in step:
            result = emulate(run, job_id, name, step, emulators)
        else:
            result = run_step(run, job_id, name, step, base_env=base_env, files=files)
        run.results.append(result)
        record(run, step, result.outcome)
        if result.outcome == "failure" and run.failure is None:
            what = step.get("run", step.get("uses"))
            run.failure = f"{job_id} / {name}: `{what}` failed\n{result.output[-4000:]}"
    run.result = "failure" if run.failure else "success"
    for key, value in (job.get("outputs") or {}).items():
        run.job_outputs[key] = run.substitute(value)
    return run


def record(run: JobRun, step: Mapping[str, Any], outcome: str) -> None:
    if "id" in step:
        run.contexts["_outcomes"][step["id"]] = outcome
        run.outputs.setdefault(step["id"], {})


def run_step(
    run: JobRun,
    job_id: str,
    name: str,
    step: Mapping[str, Any],
    *,
    base_env: dict[str, str],
    files: Mapping[str, Path],
) -> StepResult:
    files["output"].write_text("")
    step_env = {k: run.substitute(v) for k, v in (step.get("env") or {}).items()}
    run.contexts["env"] = {**run.contexts["env"], **step_env}
    env = {**base_env, **step_env, "GITHUB_OUTPUT": str(files["output"])}
    started = time.perf_counter()
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=run.workspace / step.get("working-directory", "."),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    for key in step_env:  # a step's env is its own
        run.contexts["env"].pop(key, None)
    if "id" in step:
        run.outputs[step["id"]] = key_values(files["output"])
    added = key_values(files["env"])
    base_env.update(added)
    run.contexts["env"].update(added)
    outcome = "success" if result.returncode == 0 else "failure"
    output = result.stdout + result.stderr
    if result.returncode != 0:
        output += f"\n(exit status {result.returncode})"
    return StepResult(job_id, name, "ran", time.perf_counter() - started, output, outcome=outcome)


def emulate(
    run: JobRun, job_id: str, name: str, step: Mapping[str, Any], emulators: Mapping[str, Emulator]
) -> StepResult:
    """Stand in for a `uses:` step; its outputs land where `steps.<id>.outputs` reads them."""
    action = step["uses"].split("@")[0]
    inputs = {k: run.substitute(v) for k, v in (step.get("with") or {}).items()}
    if action in NO_OP:
        return StepResult(job_id, name, "emulated", inputs=inputs)
    if action not in emulators and action in GITHUB_ONLY:
        return StepResult(job_id, name, "skipped (needs GitHub)", inputs=inputs)
    if action not in emulators:
        raise StepFailed(f"{job_id} / {name}: no emulation for action {action!r}")
    started = time.perf_counter()
    try:
        outputs = emulators[action](run, inputs)
    except NeedsGitHubError as reason:
        return StepResult(job_id, name, "skipped (needs GitHub)", output=str(reason), inputs=inputs)
    except (StepFailed, subprocess.CalledProcessError, containers.ContainerError) as error:
        return StepResult(
            job_id, name, "emulated", time.perf_counter() - started, str(error), inputs, "failure"
        )
    if "id" in step:
        run.outputs[step["id"]] = {k: to_string(v) for k, v in (outputs or {}).items()}
    return StepResult(job_id, name, "emulated", time.perf_counter() - started, inputs=inputs)


def key_values(path: Path) -> dict[str, str]:
    """KEY=VALUE lines and KEY<<DELIMITER blocks, as GitHub reads GITHUB_OUTPUT and GITHUB_ENV."""
    values: dict[str, str] = {}
    lines = iter(path.read_text().splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delimiter = line.split("<<", 1)
            block = []
            for item in lines:
                if item == delimiter:
                    break
                block.append(item)
            values[key] = "\n".join(block)
        elif "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
    return values


def show(runs: Mapping[str, JobRun] | list[JobRun]) -> None:
    """Print what each step did (pytest shows it with -s or on failure)."""
    for run in runs.values() if isinstance(runs, Mapping) else runs:
        if run.result == "skipped":
            print(f"{run.job_id:<10} {'skipped (if)':<24}            (job)")
        for result in run.results:
            print(f"{result.job:<10} {result.status:<24} {result.seconds:7.1f} s  {result.name}")
