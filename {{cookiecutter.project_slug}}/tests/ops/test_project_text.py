"""The README's block about the data: replaced whole, the user's text around it kept."""

from __future__ import annotations

import logging

import pytest

from {{ cookiecutter.package_name }}.ops.project_text import (
    ABOUT_END,
    ABOUT_START,
    plain,
    readme,
)

MINE = "# My project\n\nA line of my own, with `code` and $HOME.\n\n"
TABLE = "| stage | module |\n|---|---|\n| `generate` | demo |\n| `data` | prepare |\n"
README = f"{MINE}{ABOUT_START}\nThe demo's paragraph,\nover two lines.\n{ABOUT_END}\n\n{TABLE}"


def test_the_block_is_replaced_whole_and_the_text_around_it_kept() -> None:
    text = readme(README, "The model predicts `y`.")

    assert text == (
        f"{MINE}{ABOUT_START}\nThe model predicts `y`.\n{ABOUT_END}\n\n"
        "| stage | module |\n|---|---|\n| `data` | prepare |\n"
    )
    assert readme(text, "The model predicts `y`.") == text  # a second import changes nothing


@pytest.mark.parametrize(
    "broken",
    [
        README.replace(f"{ABOUT_START}\n", "").replace(f"{ABOUT_END}\n", ""),  # both removed
        README.replace(f"{ABOUT_END}\n", ""),  # the end removed: no block to replace
        README.replace(MINE, f"{MINE}{ABOUT_START}\n"),  # two starts: which block?
        f"{ABOUT_END}\n{README.replace(ABOUT_END, ABOUT_START, 1)}",  # the end before the start
    ],
)
def test_a_readme_without_one_block_keeps_its_text_and_says_why(
    broken: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        text = readme(broken, "The model predicts `y`.")

    assert text == broken.replace("| `generate` | demo |\n", "")
    assert "README.md has no single block between the lines" in caplog.text
    assert ABOUT_START in caplog.text
    assert "put those two lines back" in caplog.text


def test_plain_text_drops_what_would_end_a_quoted_string() -> None:
    described = plain('Predict "size" from C:\\data\\$pizza`s.csv')
    assert described == "Predict size from C:datapizzas.csv"
