"""Shadow on/off rounds for benchmarks/canary.py, run by a generated project's own Python.

    .venv/bin/python canary_shadow_rounds.py PACKAGE PAIRS SECONDS RATE PLACEMENT

Starts what `make canary MODE=shadow` starts (the champion and the challenger, each the
project's service on models/serving logging every prediction; Prometheus scraping both;
nginx in front), then alternates rounds on
the same processes: mirroring on (shadow), mirroring off (share 0: the same nginx path,
nothing mirrored), on, off, ... so the machine's other load weighs on both alike. nginx is
reloaded between rounds and a second of traffic is sent before each round's is measured.
Prints one JSON line per round, with the copies the challenger answered (all of the round's
requests when mirroring is on) and the client's latencies.

PLACEMENT says where the processes run, the same in both kinds of round: `shared` lets the
scheduler put any of them on any CPU, the challenger at `nice` 10 (the challenger's scoring
then competes with the champion's, which measures the machine more than the mirror); `split`
pins the challenger to the last CPU and everything else (the client here, nginx, the
champion, Prometheus) to the others, as a cluster runs a shadow challenger in its own pods on
its own CPUs, so what is left is the cost of mirroring itself. `make canary MODE=shadow`
runs them as `split` on two CPUs or more, else as `shared`. A process inherits the CPUs of
the thread that starts it, so this one moves its own threads before starting each.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import numpy as np


def cpu_sets(placement: str) -> tuple[set[int], set[int]]:
    """The CPUs of the challenger and of everything else under `placement`."""
    cpus = sorted(os.sched_getaffinity(0))
    if placement == "shared":
        return set(cpus), set(cpus)
    if placement != "split" or len(cpus) < 2:
        sys.exit(f"placement {placement!r}: 'shared', or 'split' on two CPUs or more ({cpus})")
    return {cpus[-1]}, set(cpus[:-1])


def pin(cpus: set[int]) -> None:
    """Run every thread of this process (so every process it starts next) on `cpus`."""
    for thread in Path("/proc/self/task").iterdir():
        os.sched_setaffinity(int(thread.name), cpus)


def main() -> None:
    """Alternate the rounds; a line per round: mode, requests, p50/p99 (ms), load average."""
    package, pairs, seconds, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    placement = sys.argv[5]
    challenger_cpus, other_cpus = cpu_sets(placement)
    engines = importlib.import_module(f"{package}.canary.engines")
    traffic = importlib.import_module(f"{package}.canary.traffic")
    rehearsal = importlib.import_module(f"{package}.canary.rehearsal")
    bodies = traffic.request_bodies(Path("data/golden/golden.csv"))
    model = Path("models/serving").resolve()
    with tempfile.TemporaryDirectory(prefix="shadow-rounds-") as temporary:
        folder = Path(temporary)
        with ExitStack() as stack:
            pin(challenger_cpus)
            challenger = stack.enter_context(
                engines.service(
                    "challenger",
                    model,
                    folder,
                    niceness=0 if placement == "split" else engines.SHADOW_NICENESS,
                    log=folder / "b.jsonl",
                )
            )
            pin(other_cpus)
            champion = stack.enter_context(
                engines.service("champion", model, folder, log=folder / "a.jsonl")
            )
            stack.enter_context(engines.prometheus(folder, champion, challenger))
            router = engines.Router(folder, champion, challenger)
            with router.running("canary", 0.0):
                for index in range(2 * pairs):
                    mode = "shadow" if index % 2 == 0 else "canary"
                    router.reroute(mode, 0.0)
                    with traffic.Replay(router.url, bodies, float(rate)).running():
                        time.sleep(1.0)  # new connections after the reload, warm workers
                    replay = traffic.Replay(router.url, bodies, float(rate))
                    mirrored = rehearsal.settled(challenger.url)
                    with replay.running():
                        time.sleep(seconds)
                    mirrored = rehearsal.settled(challenger.url) - mirrored
                    latencies = np.array(replay.latencies)
                    print(
                        json.dumps(
                            {
                                "mode": mode,
                                "placement": placement,
                                "requests": len(latencies),
                                "failed": sum(n for s, n in replay.statuses.items() if s != 200),
                                "challenger_answered": mirrored,
                                "p50_ms": float(np.quantile(latencies, 0.5)) * 1000,
                                "p99_ms": float(np.quantile(latencies, 0.99)) * 1000,
                                "load": os.getloadavg()[0],
                                "latencies_ms": [round(x * 1000, 3) for x in latencies],
                            }
                        ),
                        flush=True,
                    )


if __name__ == "__main__":
    main()
