"""`pin-image`: name the image deploy/ runs by its digest.

A tag can be moved to another image under a running Deployment; a digest cannot. The deploy
workflow writes the released image's digest here before it applies an overlay, and
`make rollback` writes the previous release's. The kustomization's own text is edited (its
comments stay), and only after it was read as one `images:` entry with a digest.

    {{ cookiecutter.project_slug }} pin-image --digest sha256:<64 hex digits>
        [--kustomization deploy/base/kustomization.yaml]
"""

from __future__ import annotations

import argparse
import logging
import re
from pathlib import Path

import yaml

from {{ cookiecutter.package_name }}.core.files import write_text

log = logging.getLogger(__name__)

BASE = Path("deploy/base/kustomization.yaml")
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


class DeployInputError(ValueError):
    """A digest or kustomization this command cannot use; the message says the fix."""


def checked_digest(value: str) -> str:
    """`sha256:<64 hex>` from a digest or an `image@sha256:...` reference; a tag is refused."""
    digest = value.rpartition("@")[2].strip()
    if not DIGEST.fullmatch(digest):
        raise DeployInputError(
            f"{value!r} is not an image digest (sha256: and 64 lowercase hex digits): deploy/ "
            "names images by digest, never by a tag (`make image-metadata` writes the "
            "release's to reports/image-digest)"
        )
    return digest


def read_kustomization(kustomization: Path) -> str:
    """The file's text; a missing file is named with the option that moves it."""
    try:
        return kustomization.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DeployInputError(f"{kustomization} not found: give --kustomization") from None


def digest_in(text: str, source: Path) -> str:
    """The digest of a kustomization's one `images:` entry."""
    content = yaml.safe_load(text)
    images = content.get("images") if isinstance(content, dict) else None
    if not isinstance(images, list) or len(images) != 1 or "digest" not in images[0]:
        raise DeployInputError(
            f"{source} needs exactly one `images:` entry with a `digest:` (name and digest, "
            "no newTag), as deploy/base/kustomization.yaml has"
        )
    return checked_digest(str(images[0]["digest"]))


def set_digest(kustomization: Path, digest: str) -> str:
    """Write `digest` into the kustomization; return the digest it replaced.

    The new text is read back before it is written: the file is never left half-edited.
    """
    new = checked_digest(digest)
    text = read_kustomization(kustomization)
    old = digest_in(text, kustomization)
    edited = re.sub(rf"(?m)^(\s*-?\s*digest:\s*){old}$", rf"\g<1>{new}", text)
    if digest_in(edited, kustomization) != new:
        raise DeployInputError(f"{kustomization}: its `digest:` line is not one this can edit")
    write_text(kustomization, edited)
    return old


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The digest, and which kustomization holds it."""
    parser.add_argument("--digest", required=True, help="sha256:... (or image@sha256:...)")
    parser.add_argument(
        "--kustomization", type=Path, default=BASE, help=f"the file to edit (default: {BASE})"
    )


def run(args: argparse.Namespace) -> int:
    """Exit 2 with the reason when the digest or the file cannot be used."""
    try:
        old = set_digest(args.kustomization, args.digest)
    except DeployInputError as error:
        log.error(f"pin-image: {error}")
        return 2
    print(f"pin-image: {args.kustomization} now runs {checked_digest(args.digest)} (was {old})")
    return 0
