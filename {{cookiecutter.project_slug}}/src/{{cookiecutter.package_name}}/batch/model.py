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
from {{ cookiecutter.package_name }}.core.files import write_json
from {{ cookiecutter.package_name }}.core.params import Params
from {{ cookiecutter.package_name }}.scoring.runtime import (
    METADATA_FILE,
    SKOPS_FILE,
    load_serving,
)

REGISTRY = "models:/"


@dataclass(frozen=True)
class Chosen:
    """The scorer, and what the manifest says of its model."""

    scorer: Scorer
    about: dict[str, str]


def choose(model: str | None, params: Params) -> Chosen:
    """The scorer of `--model` (None: the checkout's export), loaded."""
    with tempfile.TemporaryDirectory(prefix="score-model-") as scratch:
        folder, source = serving_folder(model, params, Path(scratch))
        serving, metadata = load_serving(folder)  # in memory: the scratch folder may go
    version, run_id = str(metadata.get("version")), str(metadata.get("run_id"))
    about = {"source": source, "runtime": str(metadata.get("runtime"))}
    about |= {"registered_model": str(metadata.get("registered_model"))}
    return Chosen(Scorer(serving, version, run_id), {**about, "version": version, "run_id": run_id})


def serving_folder(model: str | None, params: Params, scratch: Path) -> tuple[Path, str]:
    """The serving folder of `--model`, and its source for the manifest.

    A folder as given, the checkout's export by default, or a registered version's model
    written into `scratch` as a serving folder (the skops runtime), which any engine can load
    or ship to its workers.
    """
    if model and model.startswith(REGISTRY):
        return registered(model, params, scratch), model
    folder = Path(model) if model else params.paths.serving
    return folder, str(folder)


def registered(uri: str, params: Params, scratch: Path) -> Path:
    """A registered version's skops model, from the MLflow store, as a serving folder."""
    from {{ cookiecutter.package_name }}.core.settings import TrackingSettings
    from {{ cookiecutter.package_name }}.tracking.registry import download_model

    tracking = TrackingSettings.from_env().applied_to(params.mlflow)
    (scratch / "download").mkdir()
    found = download_model(uri, tracking, scratch / "download")
    folder = scratch / "serving"
    folder.mkdir()
    found.path.replace(folder / SKOPS_FILE)
    metadata = {"runtime": "sklearn", "registered_model": found.name}
    write_json(
        folder / METADATA_FILE, {**metadata, "version": found.version, "run_id": found.run_id}
    )
    return folder
