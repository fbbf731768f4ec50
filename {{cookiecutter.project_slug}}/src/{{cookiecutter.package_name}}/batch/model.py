"""Which model scores: the checkout's export, another serving folder, or a registered version.

The default is the folder `make repro` exports (params.yaml's paths.serving), scored as the
service scores it (ONNX, or skops where ONNX failed parity). A serving folder copied out of
a published image works the same. `models:/<name>@champion` (any alias) or
`models:/<name>/<version>` takes the version's model from the MLflow registry: the skops
file training logged, run by the service's fallback runtime. MLflow is imported only then.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from {{ cookiecutter.package_name }}.batch.rows import Scorer
from {{ cookiecutter.package_name }}.core.params import Params
from {{ cookiecutter.package_name }}.scoring.runtime import SklearnModel, load_serving

REGISTRY = "models:/"


@dataclass(frozen=True)
class Chosen:
    """The scorer, and what the manifest says of its model."""

    scorer: Scorer
    about: dict[str, str]


def choose(model: str | None, params: Params) -> Chosen:
    """The scorer of `--model` (None: the checkout's export)."""
    if model and model.startswith(REGISTRY):
        return registered(model, params)
    folder = Path(model) if model else params.paths.serving
    serving, metadata = load_serving(folder)
    version, run_id = str(metadata.get("version")), str(metadata.get("run_id"))
    about = {"source": str(folder), "runtime": str(metadata.get("runtime"))}
    about |= {"registered_model": str(metadata.get("registered_model"))}
    return Chosen(Scorer(serving, version, run_id), {**about, "version": version, "run_id": run_id})


def registered(uri: str, params: Params) -> Chosen:
    """A registered version's skops model, downloaded from the MLflow store and loaded."""
    from {{ cookiecutter.package_name }}.core.settings import TrackingSettings
    from {{ cookiecutter.package_name }}.tracking.registry import download_model

    tracking = TrackingSettings.from_env().applied_to(params.mlflow)
    with tempfile.TemporaryDirectory(prefix="score-model-") as folder:
        found = download_model(uri, tracking, Path(folder))
        serving = SklearnModel(found.path)  # loaded: the folder may go
    about = {"source": uri, "runtime": "sklearn", "registered_model": found.name}
    about |= {"version": found.version, "run_id": found.run_id}
    return Chosen(Scorer(serving, found.version, found.run_id), about)
