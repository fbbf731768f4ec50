"""Time the inner loop of a generated project: what a developer waits for.

1. Time-to-green: the README's main job in a fresh clone of this template (its committed
   HEAD) with a warm uv cache: cookiecutter, then each target of its `make install repro
   test gate batch drift` (with the job's variables) as its own make, each timed.
2. A no-op `make repro` (median of three).
3. `make repro` after one hyperparameter change (the model's first one, plus one): it must
   re-run exactly train, evaluate and export.
4. Each stage's start-up: from DVC starting `<project> <command>` (cli.py) to the stage's
   first line of output (imports and params; every stage prints before its work).
5. The machine's load average, before and after: other work on the machine stretches the
   wall-clock times; each command's CPU time (user + system, all its processes) it does not.

Goals (issue 11): time-to-green < 90 s, no-op repro < 3 s, hyperparameter change < 45 s.
Peers measured in the same run: DVC's own start-up (`uv run --locked dvc version`) for the
no-op repro, and an empty Python (`python -c pass`) for the stage start-ups.

    uv run python benchmarks/inner_loop.py     # commit first: a clone sees only HEAD
"""

from __future__ import annotations

import itertools
import json
import os
import re
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[1]
ENV = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
STAGES = ("generate", "data", "train", "evaluate", "export")
STAGE_RUN = re.compile(r"Running stage '(\w+)'")
Lines = list[tuple[float, str]]


def cpu_seconds() -> float:
    """User and system time of the finished child processes (and theirs), so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Run:
    """One command's run: its wall and CPU time and its timed output."""

    seconds: float  # wall clock
    cpu: float  # user + system time of every process it ran: what load does not change
    lines: Lines  # its output, each line with the seconds since the start


def stream(command: str, cwd: Path) -> Run:
    """Run `command`, stamping each output line with the seconds since the start."""
    cpu_before = cpu_seconds()
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        shell=True,
        cwd=cwd,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    assert process.stdout is not None
    lines = [(time.perf_counter() - start, line.rstrip("\n")) for line in process.stdout]
    code = process.wait()
    seconds = time.perf_counter() - start
    if code != 0:
        tail = "\n".join(line for _, line in lines[-40:])
        sys.exit(f"`{command}` failed in {cwd} (exit {code}):\n{tail}")
    return Run(seconds, cpu_seconds() - cpu_before, lines)


def median_of_three(command: str, cwd: Path) -> Run:
    """Run `command` three times; the middle run by wall time (one slow outlier is ignored)."""
    runs = sorted((stream(command, cwd) for _ in range(3)), key=lambda run: run.seconds)
    return runs[1]


def main_job_command() -> str:
    """The README's main job, as a user copies it."""
    readme = (TEMPLATE / "README.md").read_text()
    match = re.search(r"^uvx cookiecutter .*$", readme, flags=re.M)
    if match is None:
        sys.exit("README.md has no `uvx cookiecutter ...` line (the main job)")
    return match.group(0)


def main_job_steps() -> list[tuple[str, str]]:
    """The main job as (label, command): cookiecutter, then one `make` per target.

    Each target runs in its own make, with the job's variables, so that each gets its own wall
    and CPU time: make shares nothing between targets but the files, so the work is the same.
    """
    render, make = main_job_command().split(" && ")
    words = shlex.split(make)
    if words[:2] != ["make", "-C"]:
        sys.exit(f"README's main job: expected `make -C <project> <targets>`, found {make!r}")
    folder, rest = words[2], words[3:]
    variables = [word for word in rest if "=" in word]
    steps = [("cookiecutter (render, git init, uv lock)", render)]
    for target in (word for word in rest if "=" not in word):
        label = "make gate (its no-op repro and the gate)" if target == "gate" else f"make {target}"
        steps.append((label, shlex.join(["make", "-C", folder, target, *variables])))
    return steps


def startups(lines: Lines) -> dict[str, float]:
    """Per stage: seconds from DVC's `> <project> <command>` to the stage's first line."""
    found, stage = {}, ""
    for (started, line), (first, _) in itertools.pairwise(lines):
        if match := STAGE_RUN.match(line):
            stage = match.group(1)
        elif line.startswith("> "):
            found[stage] = first - started
    return found


def change_one_hyperparameter(project: Path) -> str:
    """Set the model's first integer hyperparameter (not its seed) to its value plus one.

    params.yaml names the kind and overrides only what it sets: the values in force are
    read from the project's own params code, the changed one written under `kind:`.
    """
    package = project.name.replace("-", "_")
    probe = (
        f"from {package}.core.params import load_params; import json; "
        "print(json.dumps(load_params().model.model_dump()))"
    )
    found = subprocess.run(
        [".venv/bin/python", "-c", probe],
        cwd=project,
        env=ENV,
        capture_output=True,
        text=True,
        check=True,
    )
    model = json.loads(found.stdout)
    integers = [
        (name, value)
        for name, value in model.items()
        if name != "seed" and isinstance(value, int) and not isinstance(value, bool)
    ]
    if not integers:
        sys.exit("params.yaml: the model has no integer hyperparameter to change")
    name, value = integers[0]
    params = project / "params.yaml"
    text = params.read_text()
    own = re.compile(rf"(?m)^  {name}: .*\n")
    text = own.sub("", text)  # an override params.yaml had already
    kind = re.search(r"(?m)^  kind: .*$", text)
    assert kind is not None
    changed = f"\n  {name}: {value + 1}"
    params.write_text(text[: kind.end()] + changed + text[kind.end() :])
    return f"model.{name} {value} -> {value + 1}"


def verdict(seconds: float, goal: float) -> str:
    """Whether `seconds` met the goal, and by how much it missed."""
    if seconds < goal:
        return f"< {goal:g} s  met"
    return f"< {goal:g} s  MISSED by {seconds - goal:.1f} s"


def load() -> str:
    """The machine's load averages, which the figures depend on."""
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def row(label: str, run: Run | float, goal: float | None = None) -> str:
    """One line of the report: the label, seconds, CPU seconds and the verdict."""
    seconds, cpu = (run.seconds, f"{run.cpu:8.1f}") if isinstance(run, Run) else (run, " " * 8)
    return f"{label:<46}{seconds:>8.1f}{cpu}" + (f"   {verdict(seconds, goal)}" if goal else "")


def main() -> None:
    """Time the README's main job and the inner loop of a change in a fresh clone."""
    print(f"machine: {os.cpu_count()} cores; load average (1/5/15 min) at start {load()}")
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("PYTHONDONTWRITEBYTECODE is set: make install compiles what make repro imports")
    print(f"{'':<46}{'seconds':>8}{'cpu':>8}   goal", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "template"
        subprocess.run(["git", "clone", "--quiet", str(TEMPLATE), str(clone)], check=True)
        steps = [(label, stream(command, clone)) for label, command in main_job_steps()]
        green = Run(
            sum(run.seconds for _, run in steps),
            sum(run.cpu for _, run in steps),
            [line for _, run in steps for line in run.lines],
        )
        project = Path(tmp) / "customer-churn"
        # The main job's figures first: they stand even if a later step fails.
        print(row("time-to-green (README main job)", green, 90))
        for label, run in steps:
            print(row(f"  {label}", run))
        print(f"  load average after it: {load()}", flush=True)

        noop = median_of_three("make repro", project)
        dvc_alone = median_of_three("uv run --locked dvc version", project)
        empty_python = stream(".venv/bin/python -c pass", project)

        change = change_one_hyperparameter(project)
        changed = stream("make repro", project)

    ran = [m.group(1) for _, line in changed.lines if (m := STAGE_RUN.match(line))]
    expected = ["train", "evaluate", "export"]
    print(row("no-op make repro (median of 3)", noop, 3))
    print(row(f"make repro after {change}", changed, 45))
    print(f"  it ran {', '.join(ran)}: " + ("as expected" if ran == expected else "NOT expected"))
    print(f"{'stage start-up (launch -> first line)':<46}{'main job':>8}{'change':>8}")
    for stage in STAGES:
        cells = [startups(run.lines).get(stage) for run in (green, changed)]
        print(f"  {stage:<44}" + "".join(f"{'-' if c is None else f'{c:.1f}':>8}" for c in cells))
    print(row("peer: uv run --locked dvc version (median of 3)", dvc_alone))
    print(f"  no-op repro / peer = {noop.seconds / dvc_alone.seconds:.1f}x")
    print(row("peer: python -c pass", empty_python))
    print(f"load average (1/5/15 min) at the end: {load()}")
    print("cpu: user + system seconds of all the processes a command ran; the load does not")
    print(f"change it, and {os.cpu_count()} idle cores need at least cpu / cores of wall time.")


if __name__ == "__main__":
    main()
