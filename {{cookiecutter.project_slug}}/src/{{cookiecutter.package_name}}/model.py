"""The model: preprocessing derived from the contract plus the chosen estimator.

Models are stored with skops, not pickle, and loaded only if every type in the file is on
TRUSTED_TYPES below, a list written in this code and never read from the file itself.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import skops.io
{%- set kind = "Classifier" if cookiecutter.task == "classification" else "Regressor" %}
from sklearn.compose import ColumnTransformer
{%- if cookiecutter.model == "random_forest" %}
from sklearn.ensemble import RandomForest{{ kind }}
{%- elif cookiecutter.model == "gradient_boosting" %}
from sklearn.ensemble import HistGradientBoosting{{ kind }}
{%- endif %}
from sklearn.impute import SimpleImputer
{%- if cookiecutter.model == "linear" and cookiecutter.task == "classification" %}
from sklearn.linear_model import LogisticRegression
{%- elif cookiecutter.model == "linear" %}
from sklearn.linear_model import Ridge
{%- endif %}
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder{% if cookiecutter.model == "linear" %}, StandardScaler{% endif %}

from {{ cookiecutter.package_name }}.contract import (
    boolean_features,
    categorical_features,
    feature_names,
    numeric_features,
)
from {{ cookiecutter.package_name }}.files import write_atomically
from {{ cookiecutter.package_name }}.params import Model

# Reviewed by hand: what a fitted pipeline of this project holds beyond skops' defaults.
TRUSTED_TYPES: list[str] = [
    "numpy.dtype",
{%- if cookiecutter.model == "random_forest" %}
    "sklearn.tree._tree.Tree",
{%- elif cookiecutter.model == "gradient_boosting" %}
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
{%- endif %}
]


class ModelLoadError(RuntimeError):
    """The model file is missing, corrupt or holds a type we did not decide to trust."""


def preprocessor() -> ColumnTransformer:
    numeric = Pipeline(
        [
            ("impute", SimpleImputer(strategy="median")),
{%- if cookiecutter.model == "linear" %}
            ("scale", StandardScaler()),
{%- endif %}
        ]
    )
    return ColumnTransformer(
        [
            ("numeric", numeric, [f.name for f in numeric_features()]),
            (
                "categorical",
                OneHotEncoder(
                    categories=[list(f.categories) for f in categorical_features()],
                    handle_unknown="ignore",
                    sparse_output=False,
                ),
                [f.name for f in categorical_features()],
            ),
            ("boolean", "passthrough", [f.name for f in boolean_features()]),
        ]
    )


def build(params: Model) -> Pipeline:
    """An unfitted pipeline from raw contract columns to a prediction."""
{%- if cookiecutter.model == "random_forest" %}
    estimator = RandomForest{{ kind }}(
        n_estimators=params.n_estimators,
        max_depth=params.max_depth,
        min_samples_leaf=params.min_samples_leaf,
        n_jobs=-1,
        random_state=params.seed,
    )
{%- elif cookiecutter.model == "gradient_boosting" %}
    estimator = HistGradientBoosting{{ kind }}(
        max_iter=params.max_iter,
        learning_rate=params.learning_rate,
        max_depth=params.max_depth,
        l2_regularization=params.l2_regularization,
        early_stopping=False,
        random_state=params.seed,
    )
{%- else %}
{%- if cookiecutter.task == "classification" %}
    estimator = LogisticRegression(C=params.C, max_iter=params.max_iter)
{%- else %}
    estimator = Ridge(alpha=params.alpha)
{%- endif %}
{%- endif %}
    return Pipeline([("features", preprocessor()), ("estimator", estimator)])


def features_of(frame: pd.DataFrame) -> pd.DataFrame:
    """The model's input columns, in contract order (ids and target dropped)."""
    return frame[feature_names()]


def save(model: Pipeline, path: Path) -> None:
    write_atomically(path, lambda tmp: skops.io.dump(model, tmp))


def load(path: Path) -> Pipeline:
    """Load a model saved by `save`, refusing anything outside TRUSTED_TYPES."""
    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(f"{path} not found: run `make repro` to train the model")
    try:
        untrusted = [
            name for name in skops.io.get_untrusted_types(file=path) if name not in TRUSTED_TYPES
        ]
    except Exception as error:
        raise ModelLoadError(
            f"{path} is not a readable skops model ({error}); delete it and run `make repro`"
        ) from None
    if untrusted:
        raise ModelLoadError(
            f"{path} contains types that are not trusted: {', '.join(untrusted)}. If you added "
            "them on purpose, review them and extend TRUSTED_TYPES in model.py."
        )
    model = skops.io.load(path, trusted=TRUSTED_TYPES)
    if not isinstance(model, Pipeline):
        raise ModelLoadError(f"{path} holds a {type(model).__name__}, not a scikit-learn Pipeline")
    return model
