"""False alarms and detections of `make drift` from 50 to 100,000 rows, and how many seeds.

A default project is baked and reproduced (its model and training data are the reference).
For each reference size (the whole training split, and a small sample of it) and batch size,
batches are drawn with several seeds from the demo's population (sample_data.generate with
fresh seeds, so nothing is shared with the reference) and judged as `make drift` judges them
(drift.conclude over every feature and the model's outputs, compared with its outputs on the
held-out test split as `make drift` compares them; batches unlabelled):

- undrifted batches: the share that raise an alarm is the false-alarm rate;
- shifted batches (the first three numeric features moved by 0.5 or 2 standard deviations):
  the share that raise an alarm naming exactly the shifted features is the detection rate.

The peer measured in the same run is the same verdict with fixed thresholds (the effect
sizes alone, as before the thresholds learned the sampling noise): same batches, same
measures, only the thresholds differ.

    uv run python benchmarks/drift_false_alarms.py [seeds]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from _project import bake, run_inside, timed

SEEDS = 20
INNER = r'''
import sys
from dataclasses import replace

import numpy as np
import pandas as pd

from {package}.core.contract import FEATURES
from {package}.monitor.drift import conclude, outputs
from {package}.core.features import NumericFeature
from {package}.monitor.measures import Measures, compare_outputs
from {package}.core.params import load_params
from {package}.pipeline.sample_data import generate
from {package}.scoring.runtime import load_serving

SIZES = (50, 200, 1_000, 10_000, 100_000)
SEEDS = int(sys.argv[1])
SHIFTED = [f for f in FEATURES if isinstance(f, NumericFeature)][:3]
SHIFTS = {{"none": 0.0, "0.5 SD": 0.5, "2 SD": 2.0}}

params = load_params()
rules = params.drift
measures = Measures(rules)
model, _ = load_serving(params.paths.serving)
train = pd.read_parquet(params.paths.prepared / "train.parquet")
references = {{len(train): train, 300: train.sample(300, random_state=0)}}
held_out = pd.read_parquet(params.paths.prepared / "test.parquet")  # as drift.unseen_rows


def fixed(feature):
    """The peer: the verdict by the effect-size thresholds alone."""
    effect = rules.wasserstein_threshold if feature.kind == "numeric" else rules.js_threshold
    distance = feature.wasserstein_normalized if feature.kind == "numeric" else feature.js
    if feature.verdict == "insufficient_data":
        return feature
    drifted = feature.psi >= rules.psi_threshold or distance >= effect
    return replace(feature, verdict="drift" if drifted else "ok")


def judge(reference, batch, expected):
    features = [f.drift(reference[f.name], batch[f.name], measures) for f in FEATURES]
    prediction = compare_outputs("output", expected, outputs(model, batch), rules)
    aware = conclude(len(batch), features, prediction, None, rules)
    peer_prediction = replace(
        prediction,
        verdict="drift" if (prediction.psi or 0) >= rules.prediction_psi_threshold else "ok",
    )
    peer = conclude(len(batch), [fixed(f) for f in features], peer_prediction, None, rules)
    return aware, peer


print("reference,rows,seeds,shift,alarms,exact,peer_alarms,peer_exact", flush=True)
for reference_rows, reference in references.items():
    expected = outputs(model, held_out.iloc[: rules.prediction_sample_rows])
    for rows in SIZES:
        seeds = SEEDS if rows < 100_000 else max(3, SEEDS // 4)
        for shift, sds in SHIFTS.items():
            counts = np.zeros(4, dtype=int)
            for seed in range(seeds):
                batch = generate(rows, seed=10_000 + seed)
                rng = np.random.default_rng(seed)
                for feature in SHIFTED if sds else []:
                    batch[feature.name] = feature.shifted(batch[feature.name], sds, rng)
                aware, peer = judge(reference, batch, expected)
                target = {{f.name for f in SHIFTED}} if sds else set()
                for column, decision in ((0, aware), (2, peer)):
                    counts[column] += decision.status == "drift"
                    counts[column + 1] += (
                        decision.status == "drift" and set(decision.drifted_features) == target
                    )
            cells = [reference_rows, rows, seeds, shift, *counts]
            print(",".join(map(str, cells)), flush=True)
'''


def main() -> None:
    """Measure false alarms and detections of `make drift` and of the fixed-threshold peer."""
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else SEEDS
    with tempfile.TemporaryDirectory() as tmp:
        project = bake(Path(tmp))
        for command in ("make install", "make repro"):
            seconds, _ = timed(command, project)
            print(f"  {command}: {seconds:.0f} s", flush=True)
        output = run_inside(project, project / "sweep.py", INNER, str(seeds))
    report(output)


def report(csv: str) -> None:
    """Print the results table, one row per reference, batch size and shift."""
    lines = [line.split(",") for line in csv.strip().splitlines()[1:]]
    print(
        "\nreference  batch rows  seeds  shift    noise-aware: alarms  exact   "
        "fixed (peer): alarms  exact"
    )
    for reference, rows, seeds, shift, alarms, exact, peer_alarms, peer_exact in lines:
        total = int(seeds)
        print(
            f"{int(reference):>9,}  {int(rows):>10,}  {total:>5}  {shift:<7}"
            f"{int(alarms) / total:>20.0%}{int(exact) / total:>7.0%}"
            f"{int(peer_alarms) / total:>22.0%}{int(peer_exact) / total:>7.0%}"
        )
    print(
        "\nshift none: 'alarms' is the false-alarm rate. 0.5 SD / 2 SD: 'exact' is the detection "
        "rate (alarm naming exactly the three shifted features)."
    )


if __name__ == "__main__":
    main()
