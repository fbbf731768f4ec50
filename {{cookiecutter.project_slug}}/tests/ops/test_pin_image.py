"""pin-image: the kustomization names the image by a digest, and only by one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.ops.pin_image import DeployInputError, set_digest

from ..conftest import PROJECT

DIGEST = "sha256:" + "ab" * 32


@pytest.fixture
def kustomization(tmp_path: Path) -> Path:
    """A copy of the project's own deploy/base/kustomization.yaml."""
    return Path(shutil.copy(PROJECT / "deploy" / "base" / "kustomization.yaml", tmp_path))


def test_the_digest_is_written_and_the_comments_stay(kustomization: Path) -> None:
    before = kustomization.read_text()

    set_digest(kustomization, f"ghcr.io/owner/image@{DIGEST}")

    after = kustomization.read_text()
    assert yaml.safe_load(after)["images"][0]["digest"] == DIGEST
    assert [line for line in after.splitlines() if line.startswith("#")] == [
        line for line in before.splitlines() if line.startswith("#")
    ]
    assert set_digest(kustomization, "sha256:" + "cd" * 32) == DIGEST  # the one it replaced


@pytest.mark.parametrize(
    "value", ["latest", "ghcr.io/owner/image:1.2.3", "sha256:abc", "sha256:" + "AB" * 32, ""]
)
def test_a_tag_or_a_malformed_digest_is_refused_and_nothing_written(
    kustomization: Path, value: str
) -> None:
    before = kustomization.read_text()

    with pytest.raises(DeployInputError, match="not an image digest"):
        set_digest(kustomization, value)

    assert kustomization.read_text() == before


def test_a_kustomization_naming_the_image_by_tag_is_refused(kustomization: Path) -> None:
    kustomization.write_text("images:\n  - name: ghcr.io/owner/image\n    newTag: latest\n")

    with pytest.raises(DeployInputError, match="exactly one `images:` entry with a `digest:`"):
        set_digest(kustomization, DIGEST)


def test_the_cli_says_what_is_wrong(
    kustomization: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from {{ cookiecutter.package_name }}.cli import main

    assert main(["pin-image", "--kustomization", str(kustomization), "--digest", "v1"]) == 2
    assert "pin-image: 'v1' is not an image digest" in capsys.readouterr().err
