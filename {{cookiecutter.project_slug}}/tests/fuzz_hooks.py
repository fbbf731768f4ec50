"""Hostile requests for the schemathesis fuzzer (schemathesis.toml loads this file).

An OpenAPI schema cannot describe NaN, a lone surrogate, a key given twice, nesting
10,000 deep, a body over the size limit or a form posted from another origin, so the
fuzzer never sends them on its own. Here half of the /predict cases it generates are
swapped for one of these, built around the contract's example record; each must get a 4xx
like any other request the schema forbids (schemathesis then counts the case as negative).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import strategies as st

from {{ cookiecutter.package_name }}.serve.schemas import Record
from {{ cookiecutter.package_name }}.serve.settings import ServeSettings

RECORD: dict[str, object] = Record.model_json_schema()["examples"][0]
DEEP = 10_000
VALUES = (
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "-1e999",
    '"\\ud800"',  # a lone surrogate: valid JSON text, not valid Unicode
    "[" * DEEP + "]" * DEEP,
    '{"a":' * DEEP + "0" + "}" * DEEP,
    json.dumps("x" * 100_000),
)
WRONG_MEDIA_TYPES = ("text/plain", "application/x-www-form-urlencoded")
OVER_LIMIT = ServeSettings(model_dir=Path()).max_body_bytes + 1


def with_value(field: str, value: str) -> bytes:
    """The example record with `field` set to `value`, written verbatim."""
    return json.dumps({**RECORD, field: "\0"}).replace('"\\u0000"', value).encode()


def with_key_twice(field: str) -> bytes:
    again = f", {json.dumps(field)}: {json.dumps(RECORD[field])}"
    return (json.dumps(RECORD)[:-1] + again + "}").encode()


def json_body(raw: bytes) -> tuple[str, bytes]:
    return "application/json", raw


# (media type, body) pairs; each one is malformed in exactly one way.
HOSTILE_BODIES = st.one_of(
    st.builds(with_value, st.sampled_from(sorted(RECORD)), st.sampled_from(VALUES)).map(json_body),
    st.sampled_from(VALUES).map(lambda value: json_body(value.encode())),
    st.builds(with_key_twice, st.sampled_from(sorted(RECORD))).map(json_body),
    st.just(json_body(b'{"\\ud800": 1, ' + json.dumps(RECORD).encode()[1:])),
    st.sampled_from(WRONG_MEDIA_TYPES).map(lambda kind: (kind, json.dumps(RECORD).encode())),
    st.just(json_body(b" " * OVER_LIMIT + json.dumps(RECORD).encode())),
)


@schemathesis.hook
def flatmap_case(
    context: schemathesis.HookContext, case: schemathesis.Case[Any]
) -> st.SearchStrategy:
    if case.method.upper() != "POST" or case.path != "/predict":
        return st.just(case)
    return st.one_of(st.just(case), HOSTILE_BODIES.map(lambda hostile: swapped(case, *hostile)))


def swapped(case: schemathesis.Case[Any], media_type: str, body: bytes) -> schemathesis.Case[Any]:
    hostile = case.derive()
    hostile.media_type = media_type
    hostile.body = body
    return hostile
