"""The one JSON reader and the one number format the stages and reports share."""

from __future__ import annotations

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.core.files import JsonFileError, read_json
from {{ cookiecutter.package_name }}.core.formats import fixed


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "is missing"),
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "should hold a JSON object"),
    ],
)
def test_a_bad_json_file_is_named_with_its_problem(
    tmp_path: Path, content: str | None, problem: str
) -> None:
    path = tmp_path / "metrics.json"
    if content is not None:
        path.write_text(content)

    with pytest.raises(JsonFileError, match=problem) as raised:
        read_json(path)

    assert str(path) in str(raised.value)


def test_numbers_are_written_with_fixed_decimals_and_no_negative_zero() -> None:
    assert fixed(0.123456) == "0.1235"
    assert fixed(0.123456, 3) == "0.123"
    assert fixed(-0.00001) == "0.0000"
    assert fixed(None) == "n/a"
