"""What the generated workflows do on GitHub that no local run shows, checked statically.

Expressions are evaluated against GitHub's real event payloads (tests/github_events.py),
GitHub's concurrency rules are played out for quick successive merges, Dependabot's
Dockerfile parsing and GitHub's tag filters are applied as documented, and the Makefile's
drift target is run on hostile input (the release decisions are the generated project's own
unit tests: tests/ops/test_release*.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from . import github_events as events
from .conftest import bake, run
from .github_expressions import condition, interpolate, truthy
from .workflow_harness import (
    Runner,
    Workflow,
    filter_pattern,
    matches_filters,
    on_of,
    run_workflow,
    triggers,
)

REPOSITORY = events.Repository("Your-GitHub-User/customer-churn")
SHA = "a" * 40


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = bake(tmp_path_factory.mktemp("rules"), offline=True)
    run("git add -A && git commit --quiet -m 'Initial commit from template'", root)
    return root


def workflow(project: Path, name: str) -> Workflow:
    document: Workflow = yaml.safe_load((project / ".github" / "workflows" / name).read_text())
    return document


def contexts(event: events.Event, variables: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "github": event.github(),
        "vars": variables or {},
        "inputs": event.payload.get("inputs") or {},
        "secrets": {},
        "env": {},
        "steps": {},
        "needs": {},
    }


def step(document: Workflow, job: str, name: str) -> dict[str, Any]:
    return next(s for s in document["jobs"][job]["steps"] if s.get("name", "").startswith(name))


# --- 1. the schedule payload -------------------------------------------------------------


@pytest.mark.parametrize(("name", "step_name", "variable", "value"), [
    ("retrain.yml", "Gate against", "GATE_BASELINE_REF", "origin/main"),
    ("monitor.yml", "Start the retrain workflow", "BRANCH", "main"),
])  # fmt: skip
def test_a_scheduled_run_finds_the_default_branch_without_a_repository_object(
    project: Path, name: str, step_name: str, variable: str, value: str
) -> None:
    """Each job named `retrain`: retraining's gate, and the monitor starting retraining."""
    document = workflow(project, name)
    cron = on_of(document)["schedule"][0]["cron"]
    schedule = events.schedule(REPOSITORY, sha=SHA, cron=cron)

    assert (
        interpolate(step(document, "retrain", step_name)["env"][variable], contexts(schedule))
        == value
    )


def test_no_workflow_reads_the_repository_object_where_a_schedule_can_start_it(
    project: Path,
) -> None:
    for path in (project / ".github" / "workflows").glob("*.yml"):
        document = yaml.safe_load(path.read_text())  # values only: comments may explain
        if "schedule" in on_of(document):
            assert "github.event.repository" not in json.dumps(document), path.name


# --- 2. attestation ----------------------------------------------------------------------


@pytest.mark.parametrize(("private", "variables", "runs"), [
    (False, {}, True),
    (True, {}, False),  # Free, Pro and Team plans: attestations need a public repository
    (True, {"ATTESTATIONS": "true"}, True),  # GitHub Enterprise Cloud
])  # fmt: skip
def test_attestation_runs_only_where_github_allows_it(
    project: Path, private: bool, variables: dict[str, str], runs: bool
) -> None:
    publish = workflow(project, "ci.yml")["jobs"]["publish"]
    attest = step(workflow(project, "ci.yml"), "publish", "Attest build provenance")
    repository = events.Repository(REPOSITORY.full_name, private=private)
    push = events.push(repository, ref="refs/heads/main", before=SHA, after="b" * 40)
    status = {"success": lambda: True}

    assert condition(attest["if"], contexts(push, variables), status) is runs
    # A storage record would need `artifact-metadata: write`, which the job does not ask for.
    assert attest["with"]["create-storage-record"] is False
    assert "artifact-metadata" not in publish["permissions"]


# --- 3. concurrency on main ----------------------------------------------------------------


@dataclass
class Job:
    sha: str
    job_id: str
    group: str
    cancel: bool
    duration: int
    state: str = "waiting"  # waiting, pending, running, done, cancelled, skipped
    finish: int = 0


def queued_jobs(
    document: Workflow, pushes: list[tuple[int, events.Event]], durations: dict[str, int]
) -> list[Job]:
    """The jobs each push queues, with their concurrency group, as if every job succeeded."""
    jobs: list[Job] = []
    for _, event in pushes:
        for job_id, job in document["jobs"].items():
            scope = contexts(event)
            # Every job above succeeded and the pipeline can run (a same-repository change).
            passed = {"result": "success", "outputs": {"pipeline": "true", "trusted": "true"}}
            scope["needs"] = dict.fromkeys(document["jobs"], passed)
            status = {"success": lambda: True, "always": lambda: True, "cancelled": lambda: False}
            if not condition(job.get("if", "true"), scope, status):
                continue
            group = interpolate(
                job["concurrency"]["group"],
                {**scope, "github": {**scope["github"], "workflow": "CI"}},
            )
            cancel = truthy(
                interpolate(str(job["concurrency"].get("cancel-in-progress", False)), scope)
                == "true"
            )
            jobs.append(Job(event.sha, job_id, group.lower(), cancel, durations.get(job_id, 10)))
    return jobs


def play(
    document: Workflow, pushes: list[tuple[int, events.Event]], durations: dict[str, int]
) -> tuple[list[Job], str | None]:
    """GitHub's documented concurrency rules, played out.

    Per group at most one running and one pending job; a newly queued job cancels the
    pending one (and, with cancel-in-progress, the running one). Returns every job, and
    which commit `main` ends on when each promote moves it forward only.
    """
    jobs = queued_jobs(document, pushes, durations)
    order = [event.sha for _, event in pushes]
    needs = {job_id: job.get("needs", []) for job_id, job in document["jobs"].items()}
    needs = {k: [v] if isinstance(v, str) else v for k, v in needs.items()}
    start = {event.sha: time for time, event in pushes}
    main: str | None = None
    for now in range(0, 10_000):
        for job in jobs:  # finish
            if job.state == "running" and job.finish == now:
                job.state = "done"
                if job.job_id == "promote" and (
                    main is None or order.index(job.sha) > order.index(main)
                ):
                    main = job.sha
        for job in jobs:  # queue the jobs whose needs are met
            if job.state != "waiting" or now < start[job.sha]:
                continue
            mine = {j.job_id: j for j in jobs if j.sha == job.sha}
            states = [mine[n].state for n in needs[job.job_id] if n in mine]
            if any(s in ("cancelled", "skipped") for s in states):
                job.state = "skipped"
            elif all(s == "done" for s in states):
                queue(jobs, job, now)
        for job in jobs:  # a pending job starts when its group is free
            if job.state == "pending" and not any(
                j.state == "running" and j.group == job.group for j in jobs
            ):
                job.state, job.finish = "running", now + job.duration
        if all(j.state in ("done", "cancelled", "skipped") for j in jobs):
            return jobs, main
    raise AssertionError("the jobs never finished")


def queue(jobs: list[Job], job: Job, now: int) -> None:
    same = [j for j in jobs if j.group == job.group and j is not job]
    for other in same:
        if other.state == "pending":
            other.state = "cancelled"
        if other.state == "running" and job.cancel:
            other.state = "cancelled"
    job.state = "pending"


def test_every_commit_of_main_gets_its_image_and_main_ends_on_the_last(project: Path) -> None:
    ci = workflow(project, "ci.yml")
    shas = [f"{n}" * 40 for n in "123"]
    pushes = [
        (minute, events.push(REPOSITORY, ref="refs/heads/main", before=SHA, after=sha))
        for minute, sha in zip((0, 1, 2), shas, strict=True)
    ]

    durations = {"lint": 3, "test": 12, "gate": 20, "image": 8, "publish": 8, "promote": 1}
    jobs, main = play(ci, pushes, durations)

    published = {j.sha for j in jobs if j.job_id == "publish" and j.state == "done"}
    cancelled = [(j.sha[:1], j.job_id) for j in jobs if j.state in ("cancelled", "skipped")]
    assert published == set(shas), f"cancelled or skipped: {cancelled}"
    assert main == shas[-1]


def test_a_pull_request_run_is_cancelled_by_its_next_push(project: Path) -> None:
    ci = workflow(project, "ci.yml")
    pushes = [
        (minute, events.pull_request(
            REPOSITORY, number=7, head_sha=sha, base_sha=SHA, merge_sha=sha
        ))
        for minute, sha in ((0, "1" * 40), (1, "2" * 40))
    ]  # fmt: skip

    jobs, _ = play(ci, pushes, {"test": 12, "gate": 20})

    first = {j.job_id: j.state for j in jobs if j.sha == "1" * 40}
    second = {j.job_id: j.state for j in jobs if j.sha == "2" * 40}
    for job in ("test", "gate"):
        assert first[job] in ("cancelled", "skipped"), job  # superseded, never finished
        assert second[job] == "done", job


# --- 4. release tags -----------------------------------------------------------------------


@pytest.mark.parametrize(("tag", "released"), [
    ("v1.2.3", True), ("v10.0.0", True), ("v1.2.3-rc.1", True),
    ("v1.2", False), ("vfoo.bar.baz", False), ("v1.2.3.4", False), ("1.2.3", False),
    ("v1.2.x", False), ("release-1.2.3", False),
])  # fmt: skip
def test_only_semantic_version_tags_start_a_release(
    project: Path, tag: str, released: bool
) -> None:
    release = workflow(project, "release.yml")
    event = events.tag_push(REPOSITORY, tag=tag, sha=SHA)

    assert triggers(release, event) is released


def test_filter_patterns_follow_githubs_syntax() -> None:
    assert filter_pattern("v[0-9]+.[0-9]+").match("v12.3")
    assert not filter_pattern("v*").match("v1/2")
    assert matches_filters("main", ["*", "!main"]) is False


def test_make_drift_never_pastes_current_into_the_shell(project: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    run(f"make -s drift RUN=: CURRENT='$(touch {marker})x'", project, check=False)

    assert not marker.exists()


def test_release_tags_are_protected_by_a_ruleset(project: Path) -> None:
    ruleset = json.loads((project / ".github" / "rulesets" / "release-tags.json").read_text())
    rules = {rule["type"] for rule in ruleset["rules"]}

    assert ruleset["target"] == "tag"
    assert ruleset["enforcement"] == "active"
    assert ruleset["conditions"]["ref_name"]["include"] == ["refs/tags/v*"]
    assert {"update", "deletion", "non_fast_forward", "creation"} <= rules
    assert "rulesets/release-tags.json" in (project / "README.md").read_text()


# --- 5. pins bots can update ---------------------------------------------------------------

# Dependabot's docker file parser (dependabot-core docker/file_parser.rb): a FROM line it
# can update names a registry image literally, with a tag and/or a digest.
NAME_COMPONENT = r"(?:[a-z\d]+(?:(?:[._]|__|[-]*)[a-z\d]+)*)"
DEPENDABOT_FROM = re.compile(
    rf"^FROM\s+(?:--platform=\S+\s+)?(?P<image>{NAME_COMPONENT}(?:/{NAME_COMPONENT})*)"
    rf"(?::(?P<tag>[\w][\w.-]{{0,127}}))?(?:@(?P<digest>[^\s]+))?(?:\s+AS\s+(?P<name>[\w-]+))?",
    re.I,
)


@pytest.mark.parametrize("python", ["3.11", "3.12", "3.13"])
def test_the_base_image_is_pinned_by_digest_on_a_line_dependabot_updates(
    python: str, tmp_path: Path
) -> None:
    dockerfile = (bake(tmp_path, offline=True, python_version=python) / "Dockerfile").read_text()
    froms = [line for line in dockerfile.splitlines() if line.upper().startswith("FROM ")]
    parsed = [DEPENDABOT_FROM.match(line) for line in froms]
    updatable = [p for p in parsed if p and p["digest"] and p["image"] != "base"]

    assert len(updatable) == 1, froms
    base = updatable[0]
    assert base["image"] == "python"
    assert base["tag"] == f"{python}-slim-bookworm"
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", base["digest"])
    assert base["name"] == "base"
    assert all(p and p["image"] == "base" for p in parsed if p is not base), froms
    assert "${" not in "".join(froms)


def test_uv_is_pinned_once_and_every_consumer_reads_that_pin(project: Path) -> None:
    pyproject = (project / "pyproject.toml").read_text()
    pins = re.findall(r'"uv==([\d.]+)"', pyproject)
    assert len(pins) == 1
    for path in (project / ".github" / "workflows").glob("*.yml"):
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            for setup in (s for s in job["steps"] if "setup-uv" in s.get("uses", "")):
                assert "version" not in setup["with"], path.name
                assert setup["with"]["version-file"] == "uv.lock", path.name
    dockerfile = (project / "Dockerfile").read_text()
    assert "--require-hashes" in dockerfile  # the line: the generated tests/test_ci_scripts.py
    assert "uv==" not in dockerfile


def test_dependabot_watches_the_base_image_without_jumping_python_versions(project: Path) -> None:
    config = yaml.safe_load((project / ".github" / "dependabot.yml").read_text())
    docker = next(u for u in config["updates"] if u["package-ecosystem"] == "docker")
    ecosystems = {u["package-ecosystem"] for u in config["updates"]}

    assert {"docker", "uv", "github-actions"} <= ecosystems
    assert {"dependency-name": "python", "update-types": [
        "version-update:semver-major", "version-update:semver-minor"
    ]} in docker["ignore"]  # fmt: skip


# ci.yml's events: a push to main, a pull request, and a merge queue, whose base commit may be
# ahead of main (the groups queued before this one).
CI_EVENTS = {
    "push": events.push(REPOSITORY, ref="refs/heads/main", before=SHA, after="b" * 40),
    "pull_request": events.pull_request(
        REPOSITORY, number=7, head_sha="c" * 40, base_sha=SHA, merge_sha="d" * 40
    ),
    "merge_group": events.merge_group(REPOSITORY, number=7, head_sha="c" * 40, base_sha=SHA),
}
IDENTITIES = {  # the repository variables naming the remote's read-write and read-only identities
    "AWS_ROLE_ARN": "write", "AWS_READ_ROLE_ARN": "read",
    "GCP_SERVICE_ACCOUNT": "write", "GCP_READ_SERVICE_ACCOUNT": "read",
    "AZURE_CLIENT_ID": "write", "AZURE_READ_CLIENT_ID": "read",
    "MLFLOW_TRACKING_URI": "https://mlflow.example.com",
}  # fmt: skip


@pytest.mark.parametrize(("event", "base", "identity"), [
    ("push", "origin/main", "write"),
    ("pull_request", "origin/main", "read"),
    ("merge_group", SHA, "read"),
])  # fmt: skip
def test_each_event_gates_against_its_own_base_and_only_main_may_write_the_remote(
    project: Path, event: str, base: str, identity: str
) -> None:
    ci = workflow(project, "ci.yml")
    gate = ci["jobs"]["gate"]  # the gate and the pull request's report read one ref
    scope = contexts(CI_EVENTS[event], IDENTITIES)

    assert triggers(ci, CI_EVENTS[event])
    assert interpolate(gate["env"]["GATE_BASELINE_REF"], scope) == base
    for name in ("AWS_ROLE", "GCP_ACCOUNT", "AZURE_CLIENT"):
        assert interpolate(gate["env"][name], scope) == identity, name
    # Only main logs to (and registers versions in) the team's MLflow server.
    expected = IDENTITIES["MLFLOW_TRACKING_URI"] if event == "push" else ""
    assert interpolate(gate["env"]["MLFLOW_TRACKING_URI"], scope) == expected


def test_the_code_tests_run_for_every_pull_request_with_no_secrets_and_no_pipeline(
    project: Path,
) -> None:
    """A fork's pull request may skip the pipeline (its data is in the remote), never the tests."""
    test = workflow(project, "ci.yml")["jobs"]["test"]
    commands = [s["run"] for s in test["steps"] if "run" in s]

    assert "if" not in test
    assert "needs" not in test
    assert test["permissions"] == {"contents": "read"}
    assert "secrets." not in json.dumps(test)
    assert "vars." not in json.dumps(test)
    assert commands == ["make install", "make coverage", "make fuzz"]


# --- OIDC trust policies ------------------------------------------------------------------


def trust_policies(project: Path) -> list[dict[str, Any]]:
    """The AWS trust policies the README gives, ids filled in (owner 123, repository 456)."""
    readme = (project / "README.md").read_text()
    section = readme.split("#### Trust policies", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```json\n(.*?)```", section, re.S)
    filled = [b.replace("<owner-id>", "123").replace("<repo-id>", "456") for b in blocks]
    return [json.loads(block) for block in filled]


def assumes(policy: dict[str, Any], sub: str, aud: str = "sts.amazonaws.com") -> bool:
    """IAM's evaluation of the policy's conditions for a token.

    StringEquals, StringLike with `*` and `?`; a list of values matches if any does.
    """
    claims = {
        "token.actions.githubusercontent.com:sub": sub,
        "token.actions.githubusercontent.com:aud": aud,
    }
    for statement in policy["Statement"]:
        ok = statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        for operator, conditions in statement["Condition"].items():
            for key, value in conditions.items():
                values = value if isinstance(value, list) else [value]
                if operator == "StringEquals":
                    ok = ok and claims[key] in values
                elif operator == "StringLike":
                    patterns = [
                        re.escape(v).replace(r"\*", ".*").replace(r"\?", ".") for v in values
                    ]
                    ok = ok and any(re.fullmatch(p, claims[key]) for p in patterns)
                else:
                    raise AssertionError(f"extend this check for {operator}")
        if ok and statement["Effect"] == "Allow":
            return True
    return False


NEW = "repo:your-github-user@123/customer-churn@456"  # immutable subject (new repositories)
OLD = "repo:your-github-user/customer-churn"  # the name-only subject of older repositories


@pytest.mark.parametrize("prefix", [NEW, OLD])
def test_the_trust_policies_give_main_write_and_pull_requests_read(
    project: Path, prefix: str
) -> None:
    write, read = trust_policies(project)
    queue = f"{prefix}:ref:refs/heads/gh-readonly-queue/main/pr-7-{SHA}"

    assert assumes(write, f"{prefix}:ref:refs/heads/main")
    assert assumes(write, f"{prefix}:ref:refs/tags/v1.2.0")
    for sub in (f"{prefix}:pull_request", queue, f"{prefix}:ref:refs/heads/feature"):
        assert not assumes(write, sub), sub
    assert assumes(read, f"{prefix}:pull_request")
    assert assumes(read, queue)
    assert not assumes(read, f"{prefix}:ref:refs/heads/feature")
    assert not assumes(write, f"{prefix}:ref:refs/heads/main", aud="https://github.com/x")


def test_the_trust_policies_refuse_another_repository_that_took_the_name(project: Path) -> None:
    """A deleted owner's name registered again: same names, other ids."""
    write, read = trust_policies(project)

    assert not assumes(write, "repo:your-github-user@999/customer-churn@456:ref:refs/heads/main")
    assert not assumes(read, "repo:your-github-user@123/customer-churn@999:pull_request")
    assert not assumes(read, "repo:someone-else/customer-churn:pull_request")
    assert "repo:your-github-user/customer-churn:*" not in json.dumps([write, read])
    # Google Cloud and Azure: admitted by the numeric ids, which every token carries.
    section = (project / "README.md").read_text().split("#### Trust policies", 1)[1]
    condition = (
        "assertion.repository_owner_id == '<owner-id>' && assertion.repository_id == '<repo-id>'"
    )
    assert condition in section
    assert '--member="$POOL/attribute.ref/refs/heads/main"' in section  # read-write: main only
    assert (
        "repo:your-github-user@<owner-id>/customer-churn@<repo-id>:ref:refs/heads/main" in section
    )


# --- the harness follows GitHub's `needs` rule -----------------------------------------------

CHAIN_WORKFLOW = """
name: Chain
on: push
jobs:
  broken:
    runs-on: ubuntu-24.04
    steps:
      - run: exit 1
  decides:
    needs: broken
    if: ${{ !cancelled() }}
    runs-on: ubuntu-24.04
    steps:
      - run: "true"
  below:
    needs: decides
    runs-on: ubuntu-24.04
    steps:
      - run: "true"
  aggregate:
    needs: [broken, decides, below]
    if: ${{ !cancelled() }}
    runs-on: ubuntu-24.04
    steps:
      - run: "true"
"""


def test_a_failure_skips_every_job_below_it_in_the_needs_chain(tmp_path: Path) -> None:
    """`below` needs only `decides`, which succeeded; GitHub still skips it.

    Its `success()` looks at the whole chain, where `broken` failed.
    """
    source = tmp_path / "source"
    (source / ".github" / "workflows").mkdir(parents=True)
    (source / ".github" / "workflows" / "chain.yml").write_text(CHAIN_WORKFLOW)
    run("git init --quiet -b main && git add -A && git commit --quiet -m chain", source)
    sha = run("git rev-parse HEAD", source).stdout.strip()
    runner = Runner(tmp_path / "runner", source / ".git")
    push = events.push(REPOSITORY, ref="refs/heads/main", before=SHA, after=sha)

    runs = run_workflow("chain.yml", push, runner, check=False)

    results = {job: job_run.result for job, job_run in runs.items()}
    assert results == {
        "broken": "failure",
        "decides": "success",
        "below": "skipped",
        "aggregate": "success",
    }
    assert runs["aggregate"].contexts["needs"]["below"]["result"] == "skipped"
