"""`make canary`'s rehearsal measured: what shadow costs clients, how fast a bad model leaves.

In one run, on a default project (baked and trained here, or --project of one already through
`make repro`), with the real engines (nginx, Prometheus, the project's service):

- client p99 with shadow mirroring on (MODE=shadow: every request also goes to the challenger)
  against off (canary mode, share 0: the same nginx path, nothing mirrored), on the same
  engines in alternating rounds, on, off, on, off, ... (canary_shadow_rounds.py), so the
  machine's other load weighs on both alike; the figure is the median over pairs of adjacent
  rounds of p99(on) / p99(off), with their spread and the load average; goal: within 10%.
  Measured under two placements, the same in both kinds of round: `split` (the goal's
  figure) pins the challenger to one CPU and the client, nginx, the champion and Prometheus
  to the others, as a cluster runs a shadow challenger in its own pods on its own CPUs, so
  the figure is what mirroring costs the champion's clients; `shared` lets every process
  use every CPU, where the challenger's scoring competes with the champion's (on a small
  machine that measures the machine, not the mirror). `make canary MODE=shadow` itself runs
  them as `split` where it can (two CPUs or more, Linux);
- time from the first bad interval to the challenger's share at 0, for a challenger failing
  5% of its requests and one ten times slower (tests/canary_faults.py); goal: <= 2 intervals;
- false roll backs over --runs rehearsals of an identical challenger; goal: none.

    uv run python benchmarks/canary.py [--project DIR] [--runs 20] [--pairs 10] [--seconds 8]
        [--interval 3]
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from _project import ENV, bake

FAULTS = Path(__file__).resolve().parents[1] / "tests" / "canary_faults.py"
ROUNDS = Path(__file__).resolve().with_name("canary_shadow_rounds.py")
RATE = 100  # requests a second in each shadow round
PLACEMENTS = {  # canary_shadow_rounds.py pins the processes; the goal is judged on `split`
    "split": "challenger on its own CPU, client, nginx and champion on the others: the goal",
    "shared": "every process on every CPU: the machine's contention, not the goal",
}


def canary(project: Path, name: str, *options: str) -> dict[str, Any]:
    """One rehearsal (the command `make canary` runs); its JSON report."""
    output = project / "reports" / f"bench-{name}"
    command = [
        "uv",
        "run",
        "--locked",
        "customer-churn",
        "canary",
        "--champion",
        "models/serving",
        "--output",
        str(output),
        *options,
    ]
    subprocess.run(command, cwd=project, env=ENV, capture_output=True, check=False)
    report: dict[str, Any] = json.loads((output / "canary.json").read_text())
    return report


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def faulty(project: Path, kind: str) -> tuple[subprocess.Popen[bytes], str]:
    """The project's service with a planted fault; its process and URL once ready."""
    port = free_port()
    env = {**ENV, "SERVE_MODEL_DIR": str(project / "models/serving")}
    command = [str(project / ".venv/bin/python"), str(FAULTS), "customer_churn", kind, str(port)]
    quiet = subprocess.DEVNULL  # its log: a JSON line per request
    process = subprocess.Popen(command, cwd=project, env=env, stdout=quiet, stderr=quiet)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            with urllib.request.urlopen(f"{url}/ready", timeout=1):
                return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    sys.exit(f"the {kind} challenger did not start")


def p99(values: list[float]) -> float:
    """The 99th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def bootstrap_interval(ratios: list[float], draws: int = 2000) -> tuple[float, float]:
    """A 90% percentile-bootstrap interval of the median of `ratios` (pairs resampled)."""
    pick = random.Random(0)
    medians = sorted(statistics.median(pick.choices(ratios, k=len(ratios))) for _ in range(draws))
    return medians[int(0.05 * draws)], medians[int(0.95 * draws) - 1]


def shadow_cost(project: Path, pairs: int, seconds: float, placement: str) -> None:
    """Client latency with mirroring on against off, in alternating rounds on one set of engines."""
    command = [".venv/bin/python", str(ROUNDS), "customer_churn", str(pairs), f"{seconds:g}"]
    result = subprocess.run(
        [*command, str(RATE), placement],
        cwd=project,
        env=ENV,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"the shadow rounds failed:\n{result.stderr[-3000:]}")
    rounds = [json.loads(line) for line in result.stdout.splitlines()]
    on = [each for each in rounds if each["mode"] == "shadow"]
    off = [each for each in rounds if each["mode"] == "canary"]
    ratios = sorted(a["p99_ms"] / b["p99_ms"] for a, b in zip(on, off, strict=True))
    medians = [a["p50_ms"] / b["p50_ms"] for a, b in zip(on, off, strict=True)]
    quartiles = statistics.quantiles(ratios, n=4)
    ratio = statistics.median(ratios)
    low, high = bootstrap_interval(ratios)
    pooled = p99([x for a in on for x in a["latencies_ms"]]) / p99(
        [x for b in off for x in b["latencies_ms"]]
    )
    loads = [each["load"] for each in rounds]
    lost = sum(each["requests"] - each["challenger_answered"] for each in on)
    goal = f"goal<=1.10 {'met' if ratio <= 1.1 else 'MISSED'}" if placement == "split" else ""
    print(
        f"client_p99 shadow on/off, placement {placement} ({PLACEMENTS[placement]}): median "
        f"ratio {ratio:.3f} over {len(ratios)} pairs of "
        f"{seconds:g} s rounds at {RATE}/s (~{on[0]['requests']} requests a round); 90% "
        f"bootstrap interval of that median {low:.3f}-{high:.3f}; quartiles "
        f"{quartiles[0]:.3f}-{quartiles[2]:.3f}, range {ratios[0]:.3f}-{ratios[-1]:.3f}; "
        f"pooled p99 ratio {pooled:.3f}; median p99 on "
        f"{statistics.median(a['p99_ms'] for a in on):.2f} ms, off "
        f"{statistics.median(b['p99_ms'] for b in off):.2f} ms; p50 ratio "
        f"{statistics.median(medians):.3f} (on {statistics.median(a['p50_ms'] for a in on):.2f} "
        f"ms, off {statistics.median(b['p50_ms'] for b in off):.2f} ms); mirrored copies the "
        f"challenger did not answer: "
        f"{lost:.0f}; load average {min(loads):.2f}-{max(loads):.2f}; {goal}"
    )
    print(
        "  rounds (p99 ms, on/off): "
        + ", ".join(f"{a['p99_ms']:.1f}/{b['p99_ms']:.1f}" for a, b in zip(on, off, strict=True))
    )


def main() -> None:
    """Measure, print each figure with its goal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--project", type=Path, help="a default project after make repro")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--pairs", type=int, default=10, help="shadow on/off round pairs")
    parser.add_argument("--seconds", type=float, default=8.0, help="measured seconds a round")
    parser.add_argument("--interval", type=float, default=3.0)
    args = parser.parse_args()
    project = args.project
    if project is None:
        project = bake(Path(tempfile.mkdtemp(prefix="bench-canary-")))
        subprocess.run("make install repro", shell=True, cwd=project, env=ENV, check=True)
    interval = ["--interval-seconds", f"{args.interval:g}"]
    for placement in PLACEMENTS:
        shadow_cost(project, args.pairs, args.seconds, placement)

    for kind in ("fail", "slow"):
        process, url = faulty(project, kind)
        try:
            report = canary(
                project,
                f"rollback-{kind}",
                "--challenger-url",
                url,
                "--share",
                "0.5",
                "--rate",
                "60",
                "--intervals",
                "4",
                *interval,
            )
        finally:
            process.terminate()
            process.wait()
        failed = [i["index"] for i in report["intervals"] if i["outcome"] == "failed"]
        zero = report["run"].get("share_zero_after_seconds")
        if report["verdict"] != "roll back" or zero is None:
            print(f"rollback_{kind}: NOT rolled back ({report['verdict']}: {report['reason']})")
            continue
        judged = report["intervals"][-1]["index"] - failed[0] + 1
        lag = zero - (report["intervals"][-1]["index"] + 1) * args.interval
        print(
            f"rollback_{kind}: first bad interval {failed[0] + 1}, share 0 after {judged} judged "
            f"intervals ({zero - failed[0] * args.interval:.1f} s from its start; "
            f"{lag:.1f} s of it the scrape and the judging after the last interval's end), "
            f"{report['run']['challenger_requests_after_roll_back']:.0f} requests reached it "
            f"after; goal<=2 intervals {'met' if judged <= 2 else 'MISSED'}"
        )

    verdicts: dict[str, int] = {}
    for _ in range(args.runs):
        report = canary(
            project, "identical", "--share", "0.5", "--rate", "60", "--intervals", "3", *interval
        )
        verdicts[report["verdict"]] = verdicts.get(report["verdict"], 0) + 1
    false = verdicts.get("roll back", 0)
    print(
        f"identical_challenger runs={args.runs} verdicts={verdicts} false_rollbacks={false} "
        f"goal=0 {'met' if false == 0 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
