"""The model: preprocessing derived from the contract plus the estimator params.yaml chose.

Models are stored with skops, not pickle, and loaded only if every type in the file is on
TRUSTED_TYPES below, a list written in this code and never read from the file itself.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from {{ cookiecutter.package_name }}.core.contract import FEATURES, TARGET
from {{ cookiecutter.package_name }}.core.estimators import KINDS, ModelKind
from {{ cookiecutter.package_name }}.core.files import write_atomically

# Reviewed by hand: what a fitted pipeline of this project holds beyond skops' defaults, for
# every model kind (estimators.py), so a model of any kind loads and nothing else does.
TRUSTED_TYPES: list[str] = sorted(
    {"numpy.dtype", *(name for kind in KINDS.values() for name in kind.trusted_types)}
)


class ModelLoadError(RuntimeError):
    """The model file is missing, corrupt or holds a type we did not decide to trust."""


def preprocessor(scale_numeric: bool) -> ColumnTransformer:
    """One encoder per feature, chosen by the feature's kind (see features.py)."""
    return ColumnTransformer(
        [
            (f"feature_{position}", feature.encoder(scale_numeric), [feature.name])
            for position, feature in enumerate(FEATURES)
        ]
    )


def build(kind: ModelKind) -> Pipeline:
    """An unfitted pipeline from raw contract columns to a prediction of the contract's target."""
    estimator = TARGET.task.estimator(kind)
    return Pipeline([("features", preprocessor(kind.scale_numeric)), ("estimator", estimator)])


def features_of(frame: pd.DataFrame) -> pd.DataFrame:
    """The model's inputs in contract order, as each feature feeds them (ids and target dropped).

    Numbers and flags become floats (NaN when missing), categories text (see features.py).
    """
    return pd.DataFrame(
        {feature.name: feature.to_model(frame[feature.name]) for feature in FEATURES},
        index=frame.index,
    )


def save(model: Pipeline, path: Path) -> None:
    """Write the skops file in one step; `load` reads it back with the trusted types only."""
    import skops.io  # here: it imports every scikit-learn estimator (seconds), see `load`

    write_atomically(path, lambda tmp: skops.io.dump(model, tmp))


def load(path: Path) -> Pipeline:
    """Load a model saved by `save`, refusing anything outside TRUSTED_TYPES."""
    # Imported here, not with this module: skops.io imports every estimator of scikit-learn to
    # list the types it trusts (about two CPU-seconds), which the commands that only build
    # features or read TRUSTED_TYPES (drift's metrics, the registry) never need.
    import skops.io

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
