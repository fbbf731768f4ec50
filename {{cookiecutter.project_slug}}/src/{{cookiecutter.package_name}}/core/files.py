"""Small file helpers: atomic writes, and the one reader of the JSON files stages pass on.

Atomic, so that a failed stage never leaves half a file behind.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any


class JsonFileError(ValueError):
    """A JSON file is missing, unreadable or holds no JSON object; the message names it."""


def parse_json_object(text: str, source: str) -> dict[str, Any]:
    """The JSON object in `text`, read from `source` (named in the error)."""
    try:
        content = json.loads(text)
    except json.JSONDecodeError as error:
        raise JsonFileError(f"{source} is not valid JSON ({error})") from None
    if not isinstance(content, dict):
        raise JsonFileError(f"{source} should hold a JSON object")
    return content


def read_json(path: Path) -> dict[str, Any]:
    """The JSON object in the file at `path`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise JsonFileError(f"{path} is missing") from None
    except (OSError, UnicodeDecodeError) as error:
        raise JsonFileError(f"{path} is unreadable ({error})") from None
    return parse_json_object(text, str(path))


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Let `write` fill a temporary sibling of `path`, then move it into place in one step."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json(path: Path, content: Any) -> None:
    """Sorted, indented JSON, so that diffs of the reports stay small."""
    text = json.dumps(content, indent=2, sort_keys=True) + "\n"
    write_atomically(path, lambda tmp: tmp.write_text(text))


def write_text(path: Path, text: str) -> None:
    """Replace the file in one step: readers see the old text or the new, never half."""
    write_atomically(path, lambda tmp: tmp.write_text(text))


def sha256_of_json(content: Any) -> str:
    """The hash of `content` as canonical JSON: equal settings give equal hashes."""
    text = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def sha256_of(path: Path) -> str:
    """Hex sha256 of the file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
