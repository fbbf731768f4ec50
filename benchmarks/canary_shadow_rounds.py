"""Shadow on/off rounds for benchmarks/canary.py, run by a generated project's own Python.

    .venv/bin/python canary_shadow_rounds.py PACKAGE PAIRS SECONDS RATE

Starts what `make canary MODE=shadow` starts (the champion and the challenger, each the
project's service on models/serving logging every prediction, the challenger at the priority
shadow mode gives it; Prometheus scraping both; nginx in front), then alternates rounds on
the same processes: mirroring on (shadow), mirroring off (share 0: the same nginx path,
nothing mirrored), on, off, ... so the machine's other load weighs on both alike. nginx is
reloaded between rounds and a second of traffic is sent before each round's is measured.
Prints one JSON line per round, with the copies the challenger answered (all of the round's
requests when mirroring is on) and the client's latencies.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    """Alternate the rounds; a line per round: mode, requests, p50/p99 (ms), load average."""
    package, pairs, seconds, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    engines = importlib.import_module(f"{package}.canary.engines")
    traffic = importlib.import_module(f"{package}.canary.traffic")
    rehearsal = importlib.import_module(f"{package}.canary.rehearsal")
    bodies = traffic.request_bodies(Path("data/golden/golden.csv"))
    model = Path("models/serving").resolve()
    with tempfile.TemporaryDirectory(prefix="shadow-rounds-") as temporary:
        folder = Path(temporary)
        with (
            engines.service("champion", model, folder, log=folder / "a.jsonl") as champion,
            engines.service(
                "challenger",
                model,
                folder,
                niceness=engines.SHADOW_NICENESS,
                log=folder / "b.jsonl",
            ) as challenger,
            engines.prometheus(folder, champion, challenger),
        ):
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
