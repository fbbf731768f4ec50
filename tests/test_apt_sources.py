"""The buildah path finds a Debian archive in apt sources of every format (tests/buildah.py).

GitHub's Ubuntu runners list their archives through apt's mirror method
(`URIs: mirror+file:/etc/apt/apt-mirrors.txt` in a deb822 `.sources` file); Debian machines
use deb822 or one-line `.list` files. Archives here are local folders (`file:` URIs), so the
check that an archive really serves the suite runs for real.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .buildah import ContainerError, apt_sources, debian_mirror, expand_uri


def archive(root: Path, name: str, *suites: str) -> str:
    for suite in suites:
        release = root / name / "dists" / suite / "Release"
        release.parent.mkdir(parents=True)
        release.write_text(f"Suite: {suite}\n")
    return f"file:{root / name}"


@pytest.fixture
def apt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("MLOPS_TEMPLATE_DEBIAN_MIRROR", raising=False)
    (tmp_path / "apt" / "sources.list.d").mkdir(parents=True)
    return tmp_path / "apt"


def test_a_mirror_list_is_expanded_in_priority_order_and_probed(apt: Path, tmp_path: Path) -> None:
    ubuntu = archive(tmp_path, "ubuntu", "noble")
    debian = archive(tmp_path, "debian", "bookworm")
    mirrors = tmp_path / "apt-mirrors.txt"
    mirrors.write_text(f"{debian}\tpriority:2\n# a comment\n{ubuntu}\tpriority:1\n")
    (apt / "sources.list.d" / "ubuntu.sources").write_text(
        f"Types: deb\nURIs: mirror+file:{mirrors}\nSuites: noble noble-updates\n"
        "Components: main universe\nSigned-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg\n"
    )

    assert expand_uri(f"mirror+file:{mirrors}") == [ubuntu, debian]
    assert debian_mirror("bookworm", apt) == debian  # the Ubuntu archive has no bookworm


def test_one_line_and_deb822_sources_are_read_and_security_archives_skipped(
    apt: Path, tmp_path: Path
) -> None:
    security = archive(tmp_path, "debian-security", "bookworm-security", "bookworm")
    main = archive(tmp_path, "debian", "bookworm")
    (apt / "sources.list").write_text(
        f"deb [arch=amd64 signed-by=/k.gpg] {security} bookworm-security main\n"
    )
    (apt / "sources.list.d" / "debian.sources").write_text(
        f"Types: deb deb-src\nURIs: {main}\nSuites: bookworm bookworm-updates\nComponents: main\n"
        "\nTypes: deb\nURIs: file:/nowhere\nSuites: bookworm\nEnabled: no\n"
    )

    assert [s.uris for s in apt_sources(apt)] == [(security,), (main,)]
    assert debian_mirror("bookworm", apt) == main


def test_without_a_debian_archive_the_error_names_the_fix(apt: Path, tmp_path: Path) -> None:
    ubuntu = archive(tmp_path, "ubuntu", "noble")
    (apt / "sources.list").write_text(f"deb {ubuntu} noble main\n")

    with pytest.raises(ContainerError, match="MLOPS_TEMPLATE_DEBIAN_MIRROR"):
        debian_mirror("bookworm", apt)


def test_an_explicit_mirror_wins(apt: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOPS_TEMPLATE_DEBIAN_MIRROR", "http://mirror.invalid/debian/")

    assert debian_mirror("bookworm", apt) == "http://mirror.invalid/debian"
