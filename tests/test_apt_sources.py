"""The buildah path finds a Debian archive in this machine's apt sources (tests/buildah.py).

apt itself reads the sources (`apt-get indextargets`): one-line `.list` and deb822 `.sources`
files alike. Archives here are local folders (`file:` URIs), so the check that an archive really
serves the suite runs for real.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .buildah import ContainerError, debian_mirror


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


def test_security_disabled_and_other_suites_archives_are_skipped(apt: Path, tmp_path: Path) -> None:
    security = archive(tmp_path, "debian-security", "bookworm-security", "bookworm")
    disabled = archive(tmp_path, "disabled", "bookworm")
    main = archive(tmp_path, "debian", "bookworm")
    (apt / "sources.list").write_text(
        f"deb [arch=amd64 signed-by=/k.gpg] {archive(tmp_path, 'ubuntu', 'noble')} noble main\n"
    )
    (apt / "sources.list.d" / "debian.sources").write_text(
        f"Types: deb\nURIs: {security}\nSuites: bookworm-security bookworm\nComponents: main\n\n"
        f"Types: deb\nURIs: {disabled}\nSuites: bookworm\nComponents: main\nEnabled: no\n\n"
        f"Types: deb deb-src\nURIs: {main}\nSuites: bookworm bookworm-updates\nComponents: main\n"
    )

    assert debian_mirror("bookworm", apt) == main


def test_without_a_debian_archive_the_error_names_the_fix(apt: Path, tmp_path: Path) -> None:
    ubuntu = archive(tmp_path, "ubuntu", "noble")
    (apt / "sources.list").write_text(f"deb {ubuntu} noble main\n")

    with pytest.raises(ContainerError, match="MLOPS_TEMPLATE_DEBIAN_MIRROR"):
        debian_mirror("bookworm", apt)

    with pytest.MonkeyPatch.context() as env:
        env.setenv("MLOPS_TEMPLATE_DEBIAN_MIRROR", "http://mirror.invalid/debian/")
        assert debian_mirror("bookworm", apt) == "http://mirror.invalid/debian"
