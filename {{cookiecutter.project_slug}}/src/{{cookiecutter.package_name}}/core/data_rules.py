"""Settings scaled to your table: golden-set size, gate tolerances and limits, dataset rules.

`make import-data` writes what these functions return into params.yaml; each rule is stated
here and in its output, so a reviewer can check it.

- Golden set: GOLDEN_SHARE of the rows, at most GOLDEN_MAX; tables with fewer than MIN_ROWS
  usable rows are refused.
- Gate tolerances (the regression allowed against the baseline): the template's defaults
  suit a 3,000-row golden set; a metric measured on n rows has a sampling spread
  sqrt(3000 / n) times larger, so each tolerance is scaled by that (never below 1, at most
  10 times). Regression tolerances are a share of the target's standard deviation, so they
  are in the target's units.
- Gate limits: the trivial model's score on the golden set (it predicts the training share
  of each class, or the training mean, for every row), moved MIN_GAIN of the way from it to
  a perfect score, on the metrics that score probabilities or values (AUC, average
  precision, Brier score, log loss, RMSE, MAE, R^2): the trivial model itself fails, a model
  with any real signal passes, and the limit does not depend on the golden set's size, so a
  fresh import passes its own gate unless its model learned nothing. Metrics of labels at a
  fixed threshold (F1, macro-F1, accuracy) get no floor (0): a useful model can lose to
  always answering the majority class on them (a weak model of a common class, say), so
  the baseline's tolerance guards them instead.
- Dataset rules: the share of positives within 0.1 (or three standard errors of the golden
  set) of the observed share; every class of a multiclass target at least half its
  observed share; a target's standard deviation at least a tenth of the observed one. All
  catch a broken label column, not a shift.
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
MULTICLASS_TOLERANCES = {"macro_f1": 0.03, "log_loss": 0.02, "accuracy": 0.02}
REGRESSION_TOLERANCE = 0.01  # of the target's standard deviation (rmse, mae); r2 itself
MIN_GAIN = 0.001  # share of the way from the trivial model's score to a perfect one
NO_FLOOR = 0.0  # the limit of a metric of labels (F1, accuracy): its worst value


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


def beyond_trivial(direction: str, trivial: float, perfect: float = 0.0) -> float:
    """The limit: MIN_GAIN of the way from the trivial model's score to a perfect score."""
    best = 1.0 if direction == "higher" else perfect
    return trivial + MIN_GAIN * (best - trivial)


def classification_rules(train: np.ndarray, golden: np.ndarray) -> dict[str, dict[str, object]]:
    """Per metric: direction, tolerance and limit, for 0/1 codes (1: the positive class)."""
    from sklearn.metrics import average_precision_score, brier_score_loss

    factor = noise_factor(len(golden))
    tolerance = {name: base * factor for name, base in CLASSIFICATION_TOLERANCES.items()}
    prior = np.full(len(golden), float(np.mean(train)))  # the trivial model's probability
    trivial = {
        "average_precision": float(average_precision_score(golden, prior)),
        "brier_score": float(brier_score_loss(golden, prior)),
    }
    return {
        "roc_auc": rule("higher", tolerance["roc_auc"], beyond_trivial("higher", 0.5)),
        "average_precision": rule(
            "higher",
            tolerance["average_precision"],
            beyond_trivial("higher", trivial["average_precision"]),
        ),
        "f1": rule("higher", tolerance["f1"], NO_FLOOR),
        "brier_score": rule(
            "lower", tolerance["brier_score"], beyond_trivial("lower", trivial["brier_score"])
        ),
    }


def multiclass_rules(
    train: np.ndarray, golden: np.ndarray, classes: int
) -> dict[str, dict[str, object]]:
    """Per metric: direction, tolerance and limit, for class codes 0..classes-1."""
    from sklearn.metrics import log_loss

    factor = noise_factor(len(golden))
    tolerance = {name: base * factor for name, base in MULTICLASS_TOLERANCES.items()}
    codes = list(range(classes))
    priors = np.bincount(train, minlength=classes) / len(train)
    log_loss_limit = beyond_trivial(
        "lower", float(log_loss(golden, np.tile(priors, (len(golden), 1)), labels=codes))
    )
    return {
        "macro_f1": rule("higher", tolerance["macro_f1"], NO_FLOOR),
        "log_loss": rule("lower", tolerance["log_loss"], log_loss_limit),
        "accuracy": rule("higher", tolerance["accuracy"], NO_FLOOR),
    }


def regression_rules(train: pd.Series, golden: pd.Series) -> dict[str, dict[str, object]]:
    """Per metric: direction, tolerance (in the target's units) and limit, for a number."""
    factor = noise_factor(len(golden))
    spread = float(train.std())
    tolerance = REGRESSION_TOLERANCE * spread * factor
    errors = golden.to_numpy(dtype=float) - float(train.mean())  # the trivial model's errors
    trivial_rmse = float(np.sqrt(np.mean(errors**2)))
    trivial_mae = float(np.mean(np.abs(errors)))
    variance = float(np.var(golden.to_numpy(dtype=float)))
    trivial_r2 = 1 - trivial_rmse**2 / variance if variance > 0 else 0.0
    r2_tolerance = REGRESSION_TOLERANCE * factor
    return {
        "rmse": rule("lower", tolerance, beyond_trivial("lower", trivial_rmse)),
        "mae": rule("lower", tolerance, beyond_trivial("lower", trivial_mae)),
        "r2": rule("higher", r2_tolerance, beyond_trivial("higher", trivial_r2)),
    }


def gate_rules(
    task: str, train: pd.Series, golden: pd.Series, classes: int = 2
) -> dict[str, dict[str, object]]:
    """params.yaml `gate.metrics` for the task: a rule per metric.

    Classification takes the target as codes (data_rules never sees the table's labels).
    """
    if task == "classification":
        return classification_rules(train.to_numpy(dtype=np.int64), golden.to_numpy(dtype=np.int64))
    if task == "multiclass":
        return multiclass_rules(
            train.to_numpy(dtype=np.int64), golden.to_numpy(dtype=np.int64), classes
        )
    return regression_rules(train, golden)


def validation_rules(
    task: str, target: pd.Series, golden: pd.Series, classes: int = 2
) -> dict[str, float]:
    """params.yaml `validation`: bounds that catch a broken target column (codes for classes).

    A class the golden set cannot hold (one combination of features: import_data.py) leaves
    no share every class keeps: min_class_share 0.
    """
    if task == "multiclass":
        if golden.nunique() < classes:
            return {"min_class_share": 0.0}
        smallest = float(np.bincount(target.to_numpy(dtype=np.int64), minlength=classes).min())
        # significant digits, not decimals: a class of 0.06% (pizzaplace's XXL) keeps a rule
        return {"min_class_share": round_to(smallest / len(target) / 2)}
    if task == "classification":
        share = float(target.mean())
        slack = max(0.1, 3 * math.sqrt(share * (1 - share) / len(golden)))
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
    if task == "multiclass":
        return f"accuracy by up to {0.5 / math.sqrt(rows):.2f}"
    return f"RMSE by about {1 / math.sqrt(2 * rows):.0%} of its value"
