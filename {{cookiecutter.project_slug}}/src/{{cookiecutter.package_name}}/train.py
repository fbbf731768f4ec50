"""DVC stage `train`: fit the model on the training split, score it on the test split,
save it with skops and log the run to MLflow (registered, alias `challenger`)."""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd
from sklearn.pipeline import Pipeline

from {{ cookiecutter.package_name }}.contract import TARGET, fingerprint
from {{ cookiecutter.package_name }}.files import sha256_of, write_json
from {{ cookiecutter.package_name }}.metrics import evaluate
from {{ cookiecutter.package_name }}.model import build, features_of, save
from {{ cookiecutter.package_name }}.params import Model, load_params


def train(frame: pd.DataFrame, params: Model) -> Pipeline:
    return build(params).fit(features_of(frame), frame[TARGET.name])


def main() -> None:
    from {{ cookiecutter.package_name }}.registry import log_training

    params = load_params()
    paths = params.paths
    training = pd.read_parquet(paths.prepared / "train.parquet")
    test = pd.read_parquet(paths.prepared / "test.parquet")

    model = train(training, params.model)
    test_metrics = evaluate(model, test)
    save(model, paths.model)
    write_json(paths.train_metrics, test_metrics)

    run = log_training(
        model,
        example=features_of(training.head(5)),
        params={"model": "{{ cookiecutter.model }}", "rows": len(training), **params.model.model_dump()},
        metrics=test_metrics,
        tags={
            "data_sha256": sha256_of(paths.prepared / "train.parquet"),
            "contract_sha256": fingerprint(),
        },
        settings=params.mlflow,
    )
    write_json(paths.run_info, asdict(run))
    print(f"train: test {test_metrics}; registered {run.registered_model} v{run.version}")


if __name__ == "__main__":
    main()
