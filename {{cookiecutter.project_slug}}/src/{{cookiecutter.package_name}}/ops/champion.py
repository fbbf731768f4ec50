"""`make champion`: point the MLflow registry alias `champion` at the version a release ships.

The version is read from the serving metadata of the released image (`make image-metadata`
copies it out), never from the checkout, so the champion is exactly the model being served.
The store is MLFLOW_TRACKING_URI (else params.yaml); a version that belongs to another
store's run is refused by name rather than mislabelled.

    {{ cookiecutter.project_slug }} champion
        [--metadata FILE] [--release vX.Y.Z] [--image REF]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from {{ cookiecutter.package_name }}.core.files import JsonFileError
from {{ cookiecutter.package_name }}.core.params import load_params
from {{ cookiecutter.package_name }}.core.records import load_serving_metadata
from {{ cookiecutter.package_name }}.core.settings import TrackingSettings
from {{ cookiecutter.package_name }}.ops.release import parse_version


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The released metadata file, and the release and image to record on the version."""
    parser.add_argument("--metadata", type=Path, help="serving metadata.json (default: params)")
    parser.add_argument("--release", help="the release tag, recorded on the version")
    parser.add_argument("--image", help="the released image, recorded on the version")


def run(args: argparse.Namespace) -> int:
    """`make champion`: fail with the reason when the metadata or the registry disagree."""
    from {{ cookiecutter.package_name }}.tracking.registry import CHAMPION, set_champion

    if args.release:
        parse_version(args.release)  # recorded on the version: a version tag, or nothing
    params = load_params()
    path = args.metadata or params.paths.serving / "metadata.json"
    try:
        metadata = load_serving_metadata(path)
    except JsonFileError as error:
        error.add_note("run `make image-metadata` first")
        raise
    recorded = {"release": args.release, "image": args.image}
    tags = {key: value for key, value in recorded.items() if value}
    name, version, run_id = metadata.registered_model, metadata.version, metadata.run_id
    tracking = TrackingSettings.from_env().applied_to(params.mlflow)
    uri = set_champion(name, version, run_id, tags, tracking)
    print(f"champion: {name} version {version} (run {run_id}) is `{CHAMPION}` in {uri}")
    return 0
