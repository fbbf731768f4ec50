"""`release <action>`: the steps of release.yml (and ci.yml's promote) around the published image.

CI publishes every commit of main as IMAGE:sha-<7 hex digits>; a release adds version tags to
that image, never rebuilding it. RELEASE (the tag, vX.Y.Z or vX.Y.Z-pre; default: the tag on
HEAD) comes from the environment and is checked before any use.

- `tags`: print the image tags RELEASE gets (ops/release.py says which).
- `flags`: print `latest=true|false` and `prerelease=true|false` (GitHub's release flags).
- `wait-image`: wait until CI has published HEAD's image; if it never comes, say how to recover.
- `retag`: add RELEASE's tags to HEAD's published image.
- `promote`: point IMAGE:main at HEAD's image, unless main already shows a later commit.
- `image-metadata`: copy the serving metadata out of HEAD's image to reports/, with its digest.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from {{ cookiecutter.package_name }}.core import git
from {{ cookiecutter.package_name }}.core.files import write_text
from {{ cookiecutter.package_name }}.ops.container_registry import Registry
from {{ cookiecutter.package_name }}.ops.release import (
    ReleaseError,
    Version,
    github_flags,
    image_tags,
    moves_main,
    parse_version,
)

REPORTS = Path("reports")
METADATA_IN_IMAGE = "/srv/model/metadata.json"


def release_version() -> Version:
    """RELEASE from the environment, else the tag on HEAD."""
    return parse_version(os.environ.get("RELEASE") or git.exact_tag() or "")


def source_tag(given: str | None) -> str:
    """The tag CI published HEAD's image under: sha-<its first 7 hex digits>."""
    if given:
        return given
    head = git.head()
    if head is None:
        raise ReleaseError("no commit checked out: the image to release is HEAD's (sha-<short>)")
    return f"sha-{head[:7]}"


def not_published(image: str, timeout: float) -> ReleaseError:
    """The error of an image that never came, with the commands that recover."""
    error = ReleaseError(f"{image} was not published within {timeout:g} s.")
    for note in (
        "CI publishes each commit of the default branch once its checks pass. Find the run:",
        f"  gh run list --workflow ci.yml --commit {git.head()}",
        "If it failed or was cancelled, re-run it (gh run rerun <run id>), then re-run this",
        "release's failed job (gh run rerun <this run id> --failed).",
    ):
        error.add_note(note)
    return error


def wait_image(registry: Registry, image: str, timeout: float, interval: float) -> None:
    """Return once `image` is published; fail saying how to recover when it never is."""
    if not registry.wait_for(image, timeout, interval, say=lambda line: print(f"release: {line}")):
        raise not_published(image, timeout)
    print(f"release: {image} is published")


def retag(registry: Registry, release: Version, repository: str, source: str) -> None:
    """Add the tags of `release` to the published `repository:source`."""
    tags = image_tags(release, git.tags("v*"))
    image = f"{repository}:{source}"
    if not registry.exists(image):
        raise ReleaseError(f"{image} is not published: tag a commit that CI published from main")
    print(f"retag: {image} as {' '.join(tags)}")
    registry.tag(image, [f"{repository}:{tag}" for tag in tags])


def promote(registry: Registry, repository: str, source: str) -> None:
    """Point `repository:main` at `repository:source` (HEAD's) unless main is already later."""
    head = git.head() or ""
    shown = registry.revision(f"{repository}:main")
    if not moves_main(head, shown, shown is not None and git.is_ancestor(head, shown)):
        print(f"promote: {repository}:main already shows {shown}, a later commit: left as it is")
        return
    registry.tag(f"{repository}:{source}", [f"{repository}:main"])
    print(f"promote: {repository}:main is now {repository}:{source}")


def image_metadata(registry: Registry, image: str, reports: Path) -> None:
    """reports/image-metadata.json and reports/image-digest of `image`: both, or neither."""
    metadata = registry.read_file(image, METADATA_IN_IMAGE)
    digest = registry.digest(image)
    write_text(reports / "image-metadata.json", metadata)
    write_text(reports / "image-digest", digest + "\n")
    print(f"image-metadata: {image}@{digest}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One action per release step; the image ones name the image repository."""
    actions = parser.add_subparsers(dest="action", required=True, metavar="<action>")
    actions.add_parser("tags", help="print the image tags of RELEASE")
    actions.add_parser("flags", help="print latest=... and prerelease=... (GitHub's flags)")
    steps = {
        "wait-image": "wait until CI has published HEAD's image",
        "retag": "add RELEASE's tags to HEAD's published image",
        "promote": "point IMAGE:main at HEAD's image unless main is already later",
        "image-metadata": "copy the serving metadata and digest of HEAD's image to reports/",
    }
    for name, summary in steps.items():
        step = actions.add_parser(name, help=summary)
        step.add_argument("--image", required=True, help="the image repository, e.g. ghcr.io/o/r")
        step.add_argument("--source-tag", help="HEAD's image tag (default: sha-<HEAD's short>)")
        if name == "wait-image":
            step.add_argument("--timeout", type=float, default=2400, help="seconds (2400)")
            step.add_argument("--interval", type=float, default=30, help="seconds (30)")


def run(args: argparse.Namespace) -> int:
    """Run one release step; a ReleaseError (exit 18) says what is wrong and the fix."""
    if args.action == "tags":
        print("\n".join(image_tags(release_version(), git.tags("v*"))))
        return 0
    if args.action == "flags":
        flags = github_flags(release_version(), git.tags("v*"))
        print("\n".join(f"{key}={value}" for key, value in flags.items()))
        return 0
    release = release_version() if args.action == "retag" else None  # checked before anything
    registry = Registry()
    source = source_tag(args.source_tag)
    if args.action == "wait-image":
        wait_image(registry, f"{args.image}:{source}", args.timeout, args.interval)
    elif release is not None:
        retag(registry, release, args.image, source)
    elif args.action == "promote":
        promote(registry, args.image, source)
    else:
        image_metadata(registry, f"{args.image}:{source}", REPORTS)
    return 0
