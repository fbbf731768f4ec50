"""/predict's body, read defensively, and error details that are safe to send back.

JSON in UTF-8 only (415 otherwise); the size is capped while the body streams in (413,
and the connection is closed rather than the rest of the upload read), so an oversized
upload is never held in memory or parsed; a byte-order mark, other encodings, duplicate
keys, NaN, Infinity and nesting too deep to decode are 422s. Errors echo the offending
input only in short and always as valid JSON, whatever the client sent (lone surrogates,
1e999, megabyte strings), and list at most MAX_ISSUES problems with a count of the rest, so
a batch of bad rows gets an answer of a few kilobytes, not megabytes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from types import GenericAlias
from typing import Any, cast

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, TypeAdapter, ValidationError

from {{ cookiecutter.package_name }}.serve.schemas import Record

MEDIA_TYPE = "application/json"
ECHO_CHARS = 80  # longest input echoed in an error
MAX_ISSUES = 10  # problems listed in a 422; `more_issues` counts the rest
CLOSE = {"connection": "close"}  # after a 413: the rest of the upload is not read
# list[Record], spelled out: Record is made from the contract at run time, so to the type
# checker it is a BaseModel class held in a variable, not a type it could put in list[...].
RECORDS_TYPE = cast("type[list[BaseModel]]", GenericAlias(list, (Record,)))
RECORDS = TypeAdapter(RECORDS_TYPE)
RECORD = TypeAdapter(Record)


class CappedValidationError(RequestValidationError):
    """A 422 listing the first problems only; `total` counts them all."""

    def __init__(self, issues: Sequence[Any], total: int) -> None:
        super().__init__(issues)
        self.total = total


class DuplicateKeyError(ValueError):
    """A JSON object repeats a key; json.loads would silently keep the last value."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def require_json(request: Request) -> None:
    """415 unless the body is declared as JSON in UTF-8 (a form or text/plain post is refused)."""
    declared = request.headers.get("content-type", "")
    kind, _, parameters = declared.partition(";")
    charset = parameters.partition("charset=")[2].split(";")[0].strip().strip('"').lower()
    if kind.strip().lower() != MEDIA_TYPE or charset not in ("", "utf-8", "utf8"):
        raise HTTPException(
            status_code=415,
            detail=f"content-type {short(declared) or '(none)'}: send the records as "
            f"{MEDIA_TYPE} in UTF-8",
        )


async def read_body(request: Request, limit: int) -> bytes:
    """The body, or a 413 as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(int(declared), limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large(len(body), limit)
    return bytes(body)


def too_large(size: int, limit: int) -> HTTPException:
    """413, naming the limit's setting and the fix."""
    return HTTPException(
        status_code=413,
        detail=f"body of {size} bytes or more; the limit is {limit} (SERVE_MAX_BODY_BYTES). "
        "Split the batch.",
        headers=CLOSE,
    )


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKeyError(key)
            seen.add(key)
    return record


def decode(body: bytes) -> Any:
    """Strict JSON in UTF-8: anything else is a 422 that says what was wrong.

    json.loads would guess UTF-16 or UTF-32 from the first bytes and accept a byte-order
    mark; a key given twice, or nesting deeper than Python decodes, is refused here too.
    """
    if b"\0" in body:  # never in JSON text; in UTF-16 and UTF-32 in every ASCII character
        raise invalid("not UTF-8 (it has NUL bytes, as UTF-16 and UTF-32 do); send UTF-8")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise invalid(
            f"not UTF-8 (byte {error.start} is {body[error.start]:#04x}); send JSON in UTF-8"
        ) from None
    if text.startswith("\ufeff"):
        raise invalid("the body starts with a byte-order mark; send UTF-8 without one")
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except DuplicateKeyError as error:
        raise invalid(f"key {short(error.key)!r} appears twice; send each field once") from None
    except RecursionError:
        raise invalid("nested too deeply; a record is one flat JSON object") from None
    except ValueError as error:  # malformed JSON, bad UTF-8, over-long integers
        raise invalid(f"invalid JSON: {error}") from None


def invalid(message: str) -> RequestValidationError:
    """A 422 in FastAPI's own error shape, for a body that is not a valid JSON record."""
    return RequestValidationError([{"type": "json_invalid", "loc": ("body",), "msg": message}])


def parse_records(payload: Any, max_rows: int) -> list[Any]:
    """One record or a list of them, validated; 413 when there are too many to validate."""
    records = payload if isinstance(payload, list) else [payload]
    if len(records) > max_rows:
        raise HTTPException(
            status_code=413,
            detail=f"{len(records)} records in one request; the limit is {max_rows} "
            "(SERVE_MAX_BATCH_ROWS). Split the batch.",
            headers=CLOSE,
        )
    if not records:
        raise RequestValidationError(
            [{"type": "too_short", "loc": ("body",), "msg": "send at least one record"}]
        )
    try:
        return RECORDS.validate_python(records)
    except ValidationError as error:
        raise CappedValidationError(first_issues(records, error), error.error_count()) from None


def first_issues(records: list[Any], error: ValidationError) -> list[dict[str, Any]]:
    """The first MAX_ISSUES problems of the batch, located in the body.

    Listing every problem of 1,000 rows with 140 unknown keys each took seconds and 225 MB
    for a 15 MB answer; when there are too many, the rows are checked again one by one
    until enough are found.
    """
    if error.error_count() <= MAX_ISSUES:
        found = error.errors(include_url=False, include_context=False)
        return [{**issue, "loc": ("body", *issue["loc"])} for issue in found]
    issues: list[dict[str, Any]] = []
    for index, record in enumerate(records):
        try:
            RECORD.validate_python(record)
        except ValidationError as row_error:
            found = row_error.errors(include_url=False, include_context=False)
            issues += [{**issue, "loc": ("body", index, *issue["loc"])} for issue in found]
            if len(issues) >= MAX_ISSUES:
                break
    return issues[:MAX_ISSUES]


def short(value: object, limit: int = ECHO_CHARS) -> object:
    """`value` as an error may echo it: JSON-encodable and at most `limit` characters."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # 'nan', 'inf': JSON has no such numbers
    if isinstance(value, int | float) and len(repr(value)) <= limit:
        return value
    if isinstance(value, Sequence | Mapping) and not isinstance(value, str):
        kind = "object" if isinstance(value, Mapping) else "array"
        return f"({kind} of {len(value)} items)"
    text = str(value).encode("utf-8", "backslashreplace").decode("utf-8")  # lone surrogates
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown_issue(issue: Mapping[str, Any]) -> dict[str, Any]:
    """A validation issue as the answer shows it: long inputs and messages shortened."""
    shown = {
        "type": str(issue.get("type", "invalid")),
        "loc": [part if isinstance(part, int) else short(part) for part in issue.get("loc", ())],
        "msg": short(issue.get("msg", ""), limit=400),
    }
    if "input" in issue:
        shown["input"] = short(issue["input"])
    return shown


async def validation_failed(request: Request, error: Exception) -> JSONResponse:
    """422 naming the first MAX_ISSUES bad fields, with the input each got in short."""
    assert isinstance(error, RequestValidationError)
    issues = error.errors()
    shown = [shown_issue(issue) for issue in issues[:MAX_ISSUES]]
    content: dict[str, Any] = {"detail": shown}
    total = error.total if isinstance(error, CappedValidationError) else len(issues)
    if total > len(shown):
        content["more_issues"] = total - len(shown)
    return JSONResponse(status_code=422, content=content)
