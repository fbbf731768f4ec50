"""What the DVC remote saves a pull request, and how fast it moves a 1 GB table.

1. CI run-step time of a pull request that touches no stage input (a README edit), in a fresh
   clone as CI has it: today's steps (the pipeline trains from scratch) against the same steps
   with `make pull` first, from a warm remote (the project's main pushed there). The peer is
   the full retrain, measured in the same run; the ratio is warm / full.
2. Push and pull throughput of a 1 GiB CSV table to and from the S3 API, against a plain
   copy of the same file on the same disk (the peer), and the disk the linked cache takes.

The S3 API is moto in server mode on loopback (a single-threaded development server): real
object storage over a network is slower per request and faster in parallel, so read the
throughput as what DVC itself adds, not as a cloud's figure.

    uv run python benchmarks/remote_cache.py [--table-mib 1024]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _project import ENV, TEMPLATE, bake, timed

sys.path.insert(0, str(TEMPLATE))
from tests.backends import moto_s3

BUCKET = "dvc-store"
# The test job's run steps in CI, in order; `make pull` is the step the remote adds.
CI_STEPS = ("make install", "make pull", "make repro", "make plots", "make test", "make fuzz")
GATE = "make gate"
CI_ENV = {"CI": "true", "GATE_BASELINE_REF": "origin/main"}


def shell(command: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run `command`; its output, or exit with both streams if it failed."""
    result = subprocess.run(
        command,
        shell=True,
        cwd=cwd,
        env={**ENV, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"`{command}` failed in {cwd}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def pull_request_checkout(origin: Path, name: str) -> Path:
    """A fresh clone with a commit that touches no stage input, as CI checks it out."""
    clone = origin.parent / name
    shell(f"git clone --quiet {origin} {clone}", origin.parent)
    readme = clone / "README.md"
    readme.write_text(readme.read_text() + "\nA sentence about the project.\n")
    shell("git commit --quiet -am 'Docs: one more sentence'", clone)
    return clone


def ci_steps(clone: Path, env: dict[str, str], pull: bool) -> list[tuple[str, float]]:
    """Time the CI job's steps in `clone`, with or without `make pull`."""
    steps = [step for step in CI_STEPS if pull or step != "make pull"] + [GATE]
    return [(step, timed(step, clone, {**CI_ENV, **env})[0]) for step in steps]


# Run with the project's Python (numpy, pandas): blocks of random rows until `mib` MiB.
TABLE_WRITER = """
import sys
import numpy as np
import pandas as pd

path, mib = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
rows = 200_000
with open(path, "w") as out:
    block = 0
    while out.tell() < mib * 2**20:
        frame = pd.DataFrame({
            "id": np.arange(block * rows, (block + 1) * rows),
            "amount": rng.normal(100, 30, rows).round(2),
            "score": rng.random(rows).round(6),
            "segment": rng.choice(["retail", "business", "public"], rows),
        })
        frame.to_csv(out, header=block == 0, index=False)
        block += 1
"""


def write_table(project: Path, path: Path, mib: int) -> int:
    """A CSV table of about `mib` MiB, written by the project's own Python."""
    path.parent.mkdir(parents=True, exist_ok=True)
    script = project.parent / "write_table.py"
    script.write_text(TABLE_WRITER)
    shell(f"uv run --locked python {script} {path} {mib}", project)
    return path.stat().st_size


def throughput(origin: Path, env: dict[str, str], mib: int) -> None:
    """Time dvc add, push and pull of a `mib` MiB table against a plain copy of it."""
    table = origin / "data" / "big" / "table.csv"
    size = write_table(origin, table, mib)
    megabytes = size / 2**20
    copy_seconds, _ = timed(f"cp {table} {table}.copy && sync", origin)
    Path(f"{table}.copy").unlink()
    add_seconds, _ = timed(f"uv run --locked dvc add {table}", origin, env)
    used = shell(f"du -scm {table} .dvc/cache", origin).split()[-2]
    push_seconds, _ = timed(f"uv run --locked dvc push {table}.dvc", origin, env)
    shell(f"rm -rf .dvc/cache/files && rm -f {table}", origin)
    pull_seconds, _ = timed(f"uv run --locked dvc pull {table}.dvc", origin, env)

    print(f"\n1 GiB table: {megabytes:,.0f} MiB CSV")
    print(f"{'operation':<44}{'seconds':>9}{'MiB/s':>9}")
    for name, seconds in (
        ("peer: cp on the same disk (+ sync)", copy_seconds),
        ("dvc add (hash, move to cache, link back)", add_seconds),
        ("dvc push to S3 (moto, loopback)", push_seconds),
        ("dvc pull from S3 (moto, loopback)", pull_seconds),
    ):
        print(f"{name:<44}{seconds:>9.1f}{megabytes / seconds:>9.0f}")
    push_ratio, pull_ratio = push_seconds / copy_seconds, pull_seconds / copy_seconds
    print(f"push / cp = {push_ratio:.1f}x, pull / cp = {pull_ratio:.1f}x")
    print(f"disk used by the table and the cache after dvc add: {used} MiB (linked, not copied)")


def main() -> None:
    """Time CI with and without the remote's run-cache, then a big table's transfer."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table-mib", type=int, default=1024)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with moto_s3(root, (BUCKET,)) as s3:
            origin = bake(root / "origin", dvc_remote=f"s3://{BUCKET}/project")
            shell("make install repro", origin)
            shell("git add -A && git commit --quiet -m 'Trained model'", origin)
            shell("make push", origin, s3.env)

            full = ci_steps(pull_request_checkout(origin, "full"), s3.env, pull=False)
            warm = ci_steps(pull_request_checkout(origin, "warm"), s3.env, pull=True)

            print("Pull request touching no stage input: CI test-job run steps, fresh clone")
            print(f"{'step':<14}{'full retrain (today)':>22}{'warm remote':>14}")
            full_by_step, warm_by_step = dict(full), dict(warm)
            for step in [*CI_STEPS, GATE]:
                before = full_by_step.get(step)
                shown = "-" if before is None else f"{before:.1f}"
                print(f"{step:<14}{shown:>22}{warm_by_step[step]:>14.1f}")
            full_total, warm_total = sum(full_by_step.values()), sum(warm_by_step.values())
            pipeline = ("make pull", "make repro", GATE)
            full_pipe = sum(full_by_step.get(step, 0.0) for step in pipeline)
            warm_pipe = sum(warm_by_step[step] for step in pipeline)
            print(
                f"{'all steps':<14}{full_total:>22.1f}{warm_total:>14.1f}"
                f"   warm / full = {warm_total / full_total:.2f}"
            )
            print(
                f"{'pull+repro+gate':<14}{full_pipe:>22.1f}{warm_pipe:>14.1f}"
                f"   warm / full = {warm_pipe / full_pipe:.2f}"
            )
            print("(the gate re-scores and re-exports in CI either way: evaluate and export run)")

            throughput(origin, s3.env, args.table_mib)
        shutil.rmtree(root / "origin", ignore_errors=True)


if __name__ == "__main__":
    main()
