"""`make batch`: a demo batch for `make drift`, drawn from rows the model never trained on.

Rows are drawn (seeded) from the held-out test split, so an unshifted batch comes from the
training data's own population, whatever your contract is. Up to the split's size no row
repeats; a larger batch repeats rows, which drift's noise thresholds do not know about, so
keep ROWS within the split for honest small-sample verdicts. DRIFT=mild
or severe moves the chosen features (FEATURES="a,b"; by default every numeric feature) by
0.5 or 2 standard deviations within the contract's range (`shifted` in features.py). It is
for trying the monitor; real batches come from production.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }}.core.contract import FEATURES
from {{ cookiecutter.package_name }}.core.features import Feature, NumericFeature
from {{ cookiecutter.package_name }}.core.files import write_atomically
from {{ cookiecutter.package_name }}.core.params import load_params

log = logging.getLogger(__name__)

SHIFTS = {"none": 0.0, "mild": 0.5, "severe": 2.0}  # standard deviations


def chosen(names: str) -> list[Feature]:
    """The features named (comma-separated), or every numeric one (every one if none is)."""
    if not names.strip():
        numeric: list[Feature] = [f for f in FEATURES if isinstance(f, NumericFeature)]
        return numeric or list(FEATURES)
    known = {feature.name: feature for feature in FEATURES}
    wanted = [name.strip() for name in names.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise ValueError(f"FEATURES: {', '.join(map(repr, unknown))} not in contract.yaml")
    return [known[name] for name in wanted]


def demo_batch(
    held_out: pd.DataFrame, rows: int, drift: str, features: list[Feature], seed: int
) -> pd.DataFrame:
    """`rows` held-out rows drawn at random, with the chosen features shifted by `drift`."""
    rng = np.random.default_rng(seed)
    repeat = rows > len(held_out)  # only then: repeats pass for a larger sample than they are
    batch = held_out.iloc[rng.choice(len(held_out), rows, replace=repeat)].reset_index(drop=True)
    if SHIFTS[drift]:
        for feature in features:
            batch[feature.name] = feature.shifted(batch[feature.name], SHIFTS[drift], rng)
    return batch


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The size, seed and shift of the batch, and where to write it."""
    parser.add_argument("--rows", type=int, help="rows to write (default: the held-out rows)")
    parser.add_argument("--seed", type=int, default=7, help="random seed")
    parser.add_argument("--drift", choices=list(SHIFTS), default="none", help="shift")
    parser.add_argument("--features", default="", help="features to shift, comma-separated")
    parser.add_argument("--out", type=Path, required=True, help="CSV or Parquet to write")


def run(args: argparse.Namespace) -> int:
    """`make batch`: exit 2 when the held-out split or a named feature is missing."""
    held_out = load_params().paths.prepared / "test.parquet"
    if not held_out.is_file():
        log.error(f"batch: {held_out} not found: run `make repro` first")
        return 2
    try:
        features = chosen(args.features)
    except ValueError as error:
        log.error(f"batch: {error}")
        return 2
    rows = pd.read_parquet(held_out)
    batch = demo_batch(rows, args.rows or len(rows), args.drift, features, args.seed)
    writer = batch.to_parquet if args.out.suffix == ".parquet" else batch.to_csv
    write_atomically(args.out, lambda tmp: writer(tmp, index=False))
    moved = (
        f", {args.drift} shift of {', '.join(f.name for f in features)}"
        if SHIFTS[args.drift]
        else ""
    )
    repeats = " (rows repeat: more than the held-out split has)" if len(batch) > len(rows) else ""
    print(f"batch: wrote {len(batch):,} held-out rows to {args.out}{moved}{repeats}")
    return 0
