"""Structural edits of params.yaml and dvc.yaml that keep their comments and layout.

ruamel.yaml (DVC's own YAML library) reads a file into mappings that remember their
comments, key order and flow style; `make import-data` changes values and keys there and
writes the file back, so a reviewer's diff shows the values that changed and nothing else.
Floats are written so that PyYAML (params.py) reads them as floats too: `1.0e-05`, not
ruamel's `1e-05`, which YAML 1.1 reads as text.
"""

from __future__ import annotations

import copy
import io
import math
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.tokens import CommentToken


def _float(representer: RoundTripRepresenter, value: float) -> Any:
    """A float as both YAML 1.1 and 1.2 read it: a dot in the mantissa, `.inf`, `.nan`."""
    text = repr(value)
    if math.isnan(value):
        text = ".nan"
    elif math.isinf(value):
        text = ".inf" if value > 0 else "-.inf"
    elif "e" in text and "." not in text.split("e")[0]:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"
    return representer.represent_scalar("tag:yaml.org,2002:float", text)


def _null(representer: RoundTripRepresenter, _: None) -> Any:
    """None as `null`, as the files write it (ruamel writes nothing)."""
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


def _yaml() -> YAML:
    """Round-trip YAML with the files' layout: two-space maps, lists indented under their key."""
    yaml = YAML()
    yaml.width = 4096  # never wrap a long value or comment
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.representer.add_representer(float, _float)
    yaml.representer.add_representer(type(None), _null)
    return yaml


def load(path: Path) -> CommentedMap:
    """The file's top mapping, with its comments."""
    data = _yaml().load(path.read_text())
    if not isinstance(data, CommentedMap):
        raise ValueError(f"{path}: a YAML mapping was expected at the top")
    return data


def dump(data: CommentedMap) -> str:
    """The text of `data`, comments and layout as they were read."""
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def replace_items(mapping: CommentedMap, items: dict[str, Any], *, keep_comments: bool) -> None:
    """`mapping` holds exactly `items`, in place: its own comment (beside its key) stays.

    The comments beside the old keys stay on keys of the same name when `keep_comments`,
    else they go (they described another task's settings). The blank lines that followed the
    block still follow it.
    """
    comments = dict(mapping.ca.items) if keep_comments else {}
    blank = trailing_blank_lines(mapping)
    for key in list(mapping):
        del mapping[key]
    mapping.ca.items.clear()
    for key, value in items.items():
        mapping[key] = flow(value) if isinstance(value, dict) else value
        if key in comments:
            mapping.ca.items[key] = comments[key]
    if blank is not None and items:
        last = list(items)[-1]
        entry = mapping.ca.items.get(last)
        if entry and len(entry) > 2 and entry[2] is not None:
            entry[2].value = entry[2].value.rstrip("\n") + blank.value[blank.value.index("\n") :]
        else:
            blank.value = blank.value[blank.value.index("\n") :]
            mapping.ca.items[last] = [None, None, blank, None]


def trailing_blank_lines(mapping: CommentedMap) -> CommentToken | None:
    """A copy of the comment after the mapping's last value, if it ends in blank lines."""
    if not mapping:
        return None
    entry = mapping.ca.items.get(list(mapping)[-1])
    token = entry[2] if entry and len(entry) > 2 else None
    if not isinstance(token, CommentToken) or not token.value.endswith("\n\n"):
        return None
    return copy.copy(token)


def flow(value: dict[str, Any]) -> CommentedMap:
    """A mapping on one line, `{direction: higher, tolerance: 0.01}`, as the gate's rules."""
    mapping = CommentedMap(value)
    mapping.fa.set_flow_style()
    return mapping


def set_comment(mapping: CommentedMap, key: str, text: str) -> None:
    """The comment beside `key` says `text` (in the same column, when it had one)."""
    column = None
    entry = mapping.ca.items.get(key)
    if entry and len(entry) > 2 and entry[2] is not None:
        column = entry[2].column
        del mapping.ca.items[key]
    mapping.yaml_add_eol_comment(f"# {text}", key, column=column)


def edit_top_comment(data: CommentedMap, old: str, new: str) -> None:
    """Replace `old` by `new` in the comment lines above the file's first key."""
    lines = data.ca.comment[1] if data.ca.comment and len(data.ca.comment) > 1 else None
    for token in lines or []:
        token.value = token.value.replace(old, new)
