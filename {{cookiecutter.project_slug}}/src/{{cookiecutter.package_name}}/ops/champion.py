"""`make champion`: point the MLflow registry alias `champion` at the version a release ships.

The version is read from the serving metadata of the released image (`make image-metadata`
copies it out), never from the checkout, so the champion is exactly the model being served.
The store is MLFLOW_TRACKING_URI (else params.yaml); a version that belongs to another
store's run is refused by name rather than mislabelled.

    python -m {{ cookiecutter.package_name }}.ops.champion
        [--metadata FILE] [--release vX.Y.Z] [--image REF]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from {{ cookiecutter.package_name }}.core.files import JsonFileError, read_json
from {{ cookiecutter.package_name }}.core.params import ParamsError, load_params
from {{ cookiecutter.package_name }}.core.settings import TrackingSettings

REQUIRED = ("registered_model", "version", "run_id")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The released metadata file, and the release and image to record on the version."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metadata", type=Path, help="serving metadata.json (default: params)")
    parser.add_argument("--release", help="the release tag, recorded on the version")
    parser.add_argument("--image", help="the released image, recorded on the version")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """`make champion`: exit with the reason when the metadata or the registry disagree."""
    from {{ cookiecutter.package_name }}.tracking.registry import (
        CHAMPION,
        RegistryError,
        set_champion,
    )

    args = parse_args(argv)
    try:
        params = load_params()
    except ParamsError as error:
        sys.exit(f"champion: {error}")
    path = args.metadata or params.paths.serving / "metadata.json"
    try:
        metadata = read_json(path)
    except JsonFileError as error:
        sys.exit(f"champion: {error}: run `make image-metadata` first")
    missing = [key for key in REQUIRED if not metadata.get(key)]
    if missing:
        sys.exit(f"champion: {path} lacks {', '.join(missing)}: it names no registered model")
    recorded = {"release": args.release, "image": args.image}
    tags = {key: value for key, value in recorded.items() if value}
    name, version, run_id = (str(metadata[key]) for key in REQUIRED)
    try:
        tracking = TrackingSettings.from_env().applied_to(params.mlflow)
        uri = set_champion(name, version, run_id, tags, tracking)
    except RegistryError as error:
        sys.exit(f"champion: {error}")
    print(f"champion: {name} version {version} (run {run_id}) is `{CHAMPION}` in {uri}")


if __name__ == "__main__":
    main()
