"""The demo's data: deterministic synthetic customers with a real signal (`generate` stage).

The same seed always gives the same rows. `drift` shifts the population (shorter tenure,
higher bills, more support calls, more month-to-month contracts), as the benchmarks use;
`id_prefix` keeps different sets (training, golden) from sharing a customer id. Only the
demo uses this module: `make import-data` removes it with the `generate` stage.
"""

from __future__ import annotations

import argparse
import logging
import re
from typing import Literal

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }}.core.contract import TARGET
from {{ cookiecutter.package_name }}.core.files import write_atomically
from {{ cookiecutter.package_name }}.core.params import ParamsError, load_params

log = logging.getLogger(__name__)

DriftLevel = Literal["none", "mild", "severe"]
DRIFT_STRENGTH: dict[DriftLevel, float] = {"none": 0.0, "mild": 0.3, "severe": 1.0}

CONTRACTS = np.array(["month-to-month", "one-year", "two-year"])
INTERNET = np.array(["dsl", "fiber", "none"])
PAYMENTS = np.array(["electronic-check", "mailed-check", "bank-transfer", "credit-card"])
BASE_CHARGE = np.array([50.0, 80.0, 20.0])  # by INTERNET position


def generate(
    rows: int,
    seed: int,
    drift: DriftLevel = "none",
    id_prefix: str = "C",
    missing_share: float = 0.005,
) -> pd.DataFrame:
    """Return `rows` customers; their churn or lifetime value (TARGET) follows from features."""
    if rows < 1:
        raise ValueError(f"rows={rows}: ask for at least one row")
    if not re.fullmatch(r"[A-Z]", id_prefix):
        raise ValueError(
            f"id_prefix={id_prefix!r}: use one capital letter (see id in contract.yaml)"
        )
    rng = np.random.default_rng(seed)
    shift = DRIFT_STRENGTH[drift]

    contract_p = np.array([0.55, 0.25, 0.20]) + shift * np.array([0.25, -0.10, -0.15])
    contract = rng.choice(3, size=rows, p=contract_p)
    internet = rng.choice(3, size=rows, p=[0.35, 0.45, 0.20])
    payment = rng.choice(4, size=rows, p=[0.35, 0.20, 0.22, 0.23])
    tenure = np.clip(rng.exponential(24 * (1 - 0.4 * shift), rows), 0, 72).astype(np.int64)
    age = np.clip(rng.normal(45, 15, rows), 18, 100).astype(np.int64)
    charges = BASE_CHARGE[internet] + 15 * shift + rng.normal(0, 12, rows)
    charges = charges.clip(5.0, 250.0).round(2)
    calls = np.clip(rng.poisson(1.0 + 0.8 * (internet == 1) + 1.5 * shift), 0, 30)
    senior = age >= 65
    paperless = rng.random(rows) < 0.6

    logit = (
        -1.6
        + 1.3 * (contract == 0)
        - 0.9 * (contract == 2)
        - 0.035 * tenure
        + 0.012 * (charges - 60)
        + 0.45 * calls
        + 0.5 * (internet == 1)
        + 0.6 * (payment == 0)
        + 0.3 * senior
        + 0.2 * paperless
    )
    churn_probability = 1 / (1 + np.exp(-logit))

    frame = pd.DataFrame(
        {
            "customer_id": [f"{id_prefix}-{i:08d}" for i in range(1, rows + 1)],
            "tenure_months": tenure,
            "age": age,
            "monthly_charges": charges,
            "support_calls": calls.astype(np.int64),
            "contract": CONTRACTS[contract],
            "internet_service": INTERNET[internet],
            "payment_method": PAYMENTS[payment],
            "senior_citizen": senior,
            "paperless_billing": paperless,
        }
    )
    if TARGET.name == "churned":
        frame[TARGET.name] = (rng.random(rows) < churn_probability).astype(np.int64)
    elif TARGET.name == "lifetime_value":
        expected_months = tenure + 36 * (1 - churn_probability)
        noise = rng.lognormal(0.0, 0.15, rows)
        frame[TARGET.name] = np.round(np.clip(charges * expected_months * noise, 0, 100_000), 2)
    else:
        raise ValueError(
            f"the sample data has no {TARGET.name!r} (contract.yaml's target): it makes `churned` "
            "or `lifetime_value`. With your own data, delete the `generate` stage in dvc.yaml."
        )
    frame.loc[rng.random(rows) < missing_share, "monthly_charges"] = np.nan
    return frame


def run(args: argparse.Namespace) -> int:
    """The generate stage: write the demo's table to paths.raw."""
    params = load_params()
    sample = params.sample
    if sample is None:
        raise ParamsError("params.yaml has no `sample` section (the demo's data settings)")
    out = params.paths.raw
    log.info(f"sample_data: making {sample.rows:,} customers for {out}")
    frame = generate(rows=sample.rows, seed=sample.seed, drift=sample.drift)
    write_atomically(out, lambda tmp: frame.to_csv(tmp, index=False))
    print(f"sample_data: wrote {len(frame):,} rows to {out}")
    return 0
