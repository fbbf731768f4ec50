"""Release decisions: which versions release, which image tags and GitHub flags they get."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.ops.release import (
    ReleaseError,
    github_flags,
    image_tags,
    moves_main,
    parse_version,
)

EXISTING = ["v1.0.0", "v1.2.0", "v1.2.5", "v2.0.0", "v2.1.0-rc.1", "not-a-version", "v3"]


@pytest.mark.parametrize("tag", ["v1.2.3", "v10.0.0", "v0.9.0", "v1.2.3-rc.1", "v2.0.0-beta-2.x"])
def test_semantic_version_tags_are_releases(tag: str) -> None:
    assert "v" + parse_version(tag).number == tag


@pytest.mark.parametrize(
    "tag",
    [
        "v1.2",
        "vfoo.bar.baz",
        "v1.2.3.4",
        "1.2.3",
        "v1.2.x",
        "release-1.2.3",
        "v01.2.3",
        "v1.2.3+build.7",  # build metadata: no image tag may hold a `+`
        "",
        "v1.2.3-a$(touch${IFS}pwned)",
    ],
)
def test_anything_else_is_refused_naming_release_and_the_form_to_use(tag: str) -> None:
    with pytest.raises(ReleaseError, match=r"RELEASE=.* is not a version tag: use vX\.Y\.Z"):
        parse_version(tag)


@pytest.mark.parametrize(
    ("release", "tags"),
    [
        ("v1.2.6", ["1.2.6", "1.2"]),  # newest of 1.2, but 2.0.0 is out
        ("v1.2.4", ["1.2.4"]),  # a patch behind 1.2.5: neither 1.2 nor latest
        ("v1.2.5", ["1.2.5", "1.2"]),  # its own tag is among the existing ones
        ("v2.0.1", ["2.0.1", "2.0", "latest"]),
        ("v3.0.0", ["3.0.0", "3.0", "latest"]),
        ("v2.1.0-rc.2", ["2.1.0-rc.2"]),  # a pre-release gets its own tag only
        ("v2.1.0", ["2.1.0", "2.1", "latest"]),  # its release candidate does not count
    ],
)
def test_the_minor_tag_and_latest_move_only_for_the_newest_release(
    release: str, tags: list[str]
) -> None:
    assert image_tags(parse_version(release), EXISTING) == tags


@pytest.mark.parametrize(
    ("release", "flags"),
    [
        ("v2.0.1", {"latest": "true", "prerelease": "false"}),
        ("v1.2.6", {"latest": "false", "prerelease": "false"}),  # a patch on an old line
        ("v2.1.0-rc.2", {"latest": "false", "prerelease": "true"}),
        ("v0.9.0", {"latest": "false", "prerelease": "false"}),
    ],
)
def test_github_marks_latest_exactly_the_release_that_gets_the_latest_tag(
    release: str, flags: dict[str, str]
) -> None:
    assert github_flags(parse_version(release), EXISTING) == flags


@pytest.mark.parametrize(
    ("shown", "head_precedes_shown", "moves"),
    [
        (None, False, True),  # no main image yet
        ("a" * 40, False, True),  # main shows an older (or unknown) commit
        ("h" * 40, True, True),  # already this commit: re-pointing changes nothing
        ("b" * 40, True, False),  # main shows a later commit: left alone
    ],
)
def test_main_moves_only_forward(shown: str | None, head_precedes_shown: bool, moves: bool) -> None:
    assert moves_main("h" * 40, shown, head_precedes_shown) is moves
