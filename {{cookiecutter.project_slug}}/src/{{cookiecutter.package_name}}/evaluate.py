"""DVC stage `evaluate`: score the trained model and a trivial one on the golden set.

Writes the golden metrics the gate compares with the baseline, with the hashes that make
the comparison meaningful (same golden set, same contract), and the plot data.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
{%- if cookiecutter.task == "classification" %}
from sklearn.metrics import roc_curve
{%- endif %}

from {{ cookiecutter.package_name }}.contract import TARGET, fingerprint
from {{ cookiecutter.package_name }}.files import sha256_of, write_atomically, write_json
from {{ cookiecutter.package_name }}.metrics import (
    {% if cookiecutter.task == "classification" %}THRESHOLD,
    {% endif %}evaluate,
    predictions,
    trivial_model,
)
from {{ cookiecutter.package_name }}.model import load
from {{ cookiecutter.package_name }}.params import Params, load_params
from {{ cookiecutter.package_name }}.validation import read_csv, validate

# The libraries the golden scores depend on; their versions are recorded next to the scores.
SCORING_LIBRARIES = ("scikit-learn", "numpy", "scipy", "pandas")


def write_plots(truth: pd.Series, predicted: np.ndarray, folder: Path) -> None:
{%- if cookiecutter.task == "classification" %}
    """ROC curve and confusion-matrix data for `dvc plots show`."""
    fpr, tpr, _ = roc_curve(truth, predicted)
    roc = pd.DataFrame({"fpr": fpr.round(5), "tpr": tpr.round(5)})
    write_atomically(folder / "roc.csv", lambda tmp: roc.to_csv(tmp, index=False))
    confusion = pd.DataFrame(
        {"actual": truth.to_numpy(), "predicted": (predicted >= THRESHOLD).astype(int)}
    )
    write_atomically(folder / "confusion.csv", lambda tmp: confusion.to_csv(tmp, index=False))
{%- else %}
    """Actual against predicted values for `dvc plots show`."""
    table = pd.DataFrame({"actual": truth.to_numpy(), "predicted": predicted.round(2)})
    write_atomically(folder / "predictions.csv", lambda tmp: table.to_csv(tmp, index=False))
{%- endif %}


def golden_report(params: Params) -> tuple[dict[str, object], pd.Series, np.ndarray]:
    paths = params.paths
    model = load(paths.model)
    golden = validate(read_csv(paths.golden), params.validation, str(paths.golden))
    training = pd.read_parquet(paths.prepared / "train.parquet")
    predicted = predictions(model, golden)
    report = {
        "metrics": evaluate(model, golden),
        "trivial": evaluate(trivial_model(training), golden),
        "golden": {
            "path": paths.golden.as_posix(),
            "sha256": sha256_of(paths.golden),
            "rows": len(golden),
        },
        "contract_sha256": fingerprint(),
        "libraries": {name: version(name) for name in SCORING_LIBRARIES},
    }
    return report, golden[TARGET.name], predicted


def main() -> None:
    from {{ cookiecutter.package_name }}.registry import RunInfo, log_evaluation

    params = load_params()
    report, truth, predicted = golden_report(params)
    write_json(params.paths.golden_metrics, report)
    write_plots(truth, predicted, params.paths.reports / "plots")
    run = RunInfo(**json.loads(params.paths.run_info.read_text()))
    log_evaluation(run, report["metrics"], {"golden_sha256": report["golden"]["sha256"]})
    print(f"evaluate: golden {report['metrics']} (trivial model: {report['trivial']})")


if __name__ == "__main__":
    main()
