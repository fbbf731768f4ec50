"""What a release is: its version, the image tags it gets, how GitHub shows it, and promotion.

Pure decisions over what git knows (the v* tags, the ancestry of two commits), so they are
tested without a registry; `release_command.py` asks git and the registry, then calls these.

- A release is a tag vX.Y.Z or vX.Y.Z-pre (semver, no build metadata); anything else is
  refused before it reaches a registry or a shell.
- Its image gets X.Y.Z always; X.Y when no later X.Y.* release exists; `latest` when no later
  release exists at all. A pre-release gets its own tag only, and a patch on an old line never
  moves `latest`. GitHub marks the same release "Latest".
- `main` moves only forward: never back to a commit older than the one it shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

SEMVER = re.compile(
    r"v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)


class ReleaseError(ValueError):
    """A release that cannot be made as asked; the message says the fix."""


@dataclass(frozen=True)
class Version:
    """A release's version, vX.Y.Z or vX.Y.Z-pre."""

    major: int
    minor: int
    patch: int
    pre: str = ""  # "-rc.1" for a pre-release, else ""

    @property
    def number(self) -> str:
        """The version without its `v`: the image tag (1.2.0, 1.2.0-rc.1)."""
        return f"{self.major}.{self.minor}.{self.patch}{self.pre}"

    @property
    def line(self) -> str:
        """The release line X.Y: the tag the newest X.Y.* release carries."""
        return f"{self.major}.{self.minor}"

    @property
    def order(self) -> tuple[int, int, int]:
        """How final releases sort: by number."""
        return (self.major, self.minor, self.patch)


def parse_version(text: str) -> Version:
    """The version a release tag names; anything else is refused with the form to use."""
    found = SEMVER.fullmatch(text)
    if found is None:
        raise ReleaseError(
            f"RELEASE={text!r} is not a version tag: use vX.Y.Z or vX.Y.Z-pre (semver, no "
            "build metadata), e.g. `git tag v1.2.0 && git push origin v1.2.0`"
        )
    major, minor, patch, pre = found.groups()
    return Version(int(major), int(minor), int(patch), pre or "")


def final_releases(tags: Iterable[str]) -> list[Version]:
    """The final releases (vX.Y.Z, no pre-release) among a repository's tags."""
    versions = [parse_version(tag) for tag in tags if SEMVER.fullmatch(tag)]
    return [version for version in versions if not version.pre]


def image_tags(release: Version, tags: Iterable[str]) -> list[str]:
    """The image tags of `release`, given the repository's tags (it may be among them)."""
    if release.pre:
        return [release.number]
    others = final_releases(tags)
    found = [release.number]
    if not any(v.line == release.line and v.order > release.order for v in others):
        found.append(release.line)
    if not any(v.order > release.order for v in others):
        found.append("latest")
    return found


def github_flags(release: Version, tags: Iterable[str]) -> dict[str, str]:
    """How GitHub shows the release: Latest only with the `latest` image tag; pre-release."""
    latest = "latest" in image_tags(release, tags)
    return {"latest": str(latest).lower(), "prerelease": str(bool(release.pre)).lower()}


def moves_main(head: str, shown: str | None, head_precedes_shown: bool) -> bool:
    """Whether `main` should move to `head`'s image.

    `shown` is the commit main's image shows (None: no image yet, or no revision label);
    `head_precedes_shown`: git says `head` is an ancestor of it. Runs of main finish in any
    order, so an older commit's run finishing last leaves main on the later commit.
    """
    return shown is None or shown == head or not head_precedes_shown
