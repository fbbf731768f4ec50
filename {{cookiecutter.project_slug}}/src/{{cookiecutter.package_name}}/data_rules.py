"""Settings scaled to your table: golden-set size, gate tolerances and limits, dataset rules.

`make import-data` writes what these functions return into params.yaml; each rule is stated
here and in its output, so a reviewer can check it.

- Golden set: GOLDEN_SHARE of the rows, at most GOLDEN_MAX; tables with fewer than MIN_ROWS
  usable rows are refused.
- Gate tolerances: the template's defaults suit a 3,000-row golden set; metrics measured on
  n rows are noisier by sqrt(3000 / n), so each tolerance is scaled by that (never below 1,
  at most 10 times). Regression tolerances are a share of the target's standard deviation,
  so they are in the target's units.
- Gate limits: the trivial model's score on the golden set (the training share of positives,
  or the training mean), improved by the tolerance: a model that does not beat predicting
  the average fails, whatever the baseline.
- Dataset rules: the share of positives within 0.1 (or three standard errors of the golden
  set) of the observed share; a target's standard deviation at least a tenth of the
  observed one. Both catch a broken label column, not a shift.
- Drift: quantile bins fewer than 10 when the training data is small (at least 30 rows a bin);
  the thresholds themselves rise with the sampling noise at run time (monitor/measures.py).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

GOLDEN_SHARE = 0.2
GOLDEN_MAX = 5_000
MIN_ROWS = 100
REFERENCE_GOLDEN_ROWS = 3_000  # the golden-set size the template's default tolerances suit
NOISY_GOLDEN_ROWS = 500  # below this, import-data warns that golden metrics are noisy
CLASSIFICATION_TOLERANCES = {
    "roc_auc": 0.01,
    "average_precision": 0.02,
    "f1": 0.03,
    "brier_score": 0.01,
}
REGRESSION_TOLERANCE = 0.01  # of the target's standard deviation (rmse, mae); r2 itself


def golden_rows(rows: int) -> int:
    """How many rows the golden set holds: GOLDEN_SHARE of them, at most GOLDEN_MAX."""
    return min(GOLDEN_MAX, math.ceil(GOLDEN_SHARE * rows))


def noise_factor(golden: int) -> float:
    """How much noisier a golden set of `golden` rows is than REFERENCE_GOLDEN_ROWS (1-10)."""
    return min(10.0, max(1.0, math.sqrt(REFERENCE_GOLDEN_ROWS / golden)))


def rule(direction: str, tolerance: float, limit: float) -> dict[str, object]:
    """One gate rule as params.yaml writes it; the tolerance is rounded up."""
    return {"direction": direction, "tolerance": round_up(tolerance), "limit": round_to(limit)}


def round_up(value: float) -> float:
    """Two significant digits, rounded up (a tolerance never shrinks by rounding)."""
    if value <= 0:
        return 0.0
    step = 10.0 ** (math.floor(math.log10(value)) - 1)
    return float(f"{math.ceil(value / step) * step:.2g}")


def round_to(value: float) -> float:
    """Four significant digits, to keep params.yaml readable."""
    return float(f"{value:.4g}")


def classification_rules(train: pd.Series, golden: pd.Series) -> dict[str, dict[str, object]]:
    """Per metric: direction, tolerance and limit, for a 0/1 target."""
    factor = noise_factor(len(golden))
    tolerance = {name: base * factor for name, base in CLASSIFICATION_TOLERANCES.items()}
    prior = float(train.mean())  # what the trivial model predicts for every row
    share = float(golden.mean())
    trivial_f1 = 2 * share / (1 + share) if prior >= 0.5 else 0.0  # it predicts 1 for all, or 0
    trivial_brier = float(np.mean((prior - golden.to_numpy()) ** 2))
    return {
        "roc_auc": rule("higher", tolerance["roc_auc"], 0.5 + tolerance["roc_auc"]),
        "average_precision": rule(
            "higher", tolerance["average_precision"], share + tolerance["average_precision"]
        ),
        "f1": rule("higher", tolerance["f1"], min(1.0, trivial_f1 + tolerance["f1"])),
        "brier_score": rule(
            "lower", tolerance["brier_score"], trivial_brier - tolerance["brier_score"]
        ),
    }


def regression_rules(train: pd.Series, golden: pd.Series) -> dict[str, dict[str, object]]:
    """Per metric: direction, tolerance (in the target's units) and limit, for a number."""
    factor = noise_factor(len(golden))
    spread = float(train.std())
    tolerance = REGRESSION_TOLERANCE * spread * factor
    errors = golden.to_numpy() - float(train.mean())  # the trivial model's errors
    trivial_rmse = float(np.sqrt(np.mean(errors**2)))
    trivial_mae = float(np.mean(np.abs(errors)))
    r2_tolerance = REGRESSION_TOLERANCE * factor
    return {
        "rmse": rule("lower", tolerance, trivial_rmse - tolerance),
        "mae": rule("lower", tolerance, trivial_mae - tolerance),
        "r2": rule("higher", r2_tolerance, r2_tolerance),
    }


def gate_rules(task: str, train: pd.Series, golden: pd.Series) -> dict[str, dict[str, object]]:
    """params.yaml `gate.metrics` for the task: a rule per metric."""
    if task == "classification":
        return classification_rules(train, golden)
    return regression_rules(train, golden)


def validation_rules(task: str, target: pd.Series, golden_size: int) -> dict[str, float]:
    """params.yaml `validation`: bounds that catch a broken target column."""
    if task == "classification":
        share = float(target.mean())
        slack = max(0.1, 3 * math.sqrt(share * (1 - share) / golden_size))
        low = max(0.0, math.floor((share - slack) * 100) / 100)
        high = min(1.0, math.ceil((share + slack) * 100) / 100)
        return {"min_positive_share": low, "max_positive_share": high}
    return {"min_target_std": round_to(float(target.std()) / 10)}


def drift_bins(train_rows: int) -> int:
    """Quantile bins for numeric PSI: 10, fewer when the training data has under 300 rows."""
    return max(4, min(10, train_rows // 30))


def golden_noise(task: str, golden: pd.Series) -> str:
    """In words: how much a golden set of this size moves the main metric by chance."""
    rows = len(golden)
    if task == "classification":
        share = float(golden.mean())
        positives, negatives = share * rows, (1 - share) * rows
        spread = math.sqrt((1 / max(positives, 1) + 1 / max(negatives, 1)) / 12)  # AUC near 0.5
        return f"ROC AUC by about {spread:.2f}"
    return f"RMSE by about {1 / math.sqrt(2 * rows):.0%} of its value"
