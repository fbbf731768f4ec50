"""GitHub Actions expressions (`${{ ... }}`), evaluated as the runner does.

The workflow harness needs more than lookups: job and step conditions compare event payload
fields (`github.event.pull_request.head.repo.full_name == github.repository`), concurrency
groups choose by event (`github.event_name == 'push' && github.sha || github.ref`), and a
missing field must read as null, as on GitHub (a `schedule` run has no `repository`).
This follows GitHub's reference ("Evaluate expressions in workflows and actions"): literals,
`( ) [ ] . ! < <= > >= == != && ||` with that precedence, loose equality that coerces
mismatched types to numbers and compares strings case-insensitively, `&&`/`||` returning an
operand, `.*` object filters, and the functions contains, startsWith, endsWith, format,
join, toJSON, fromJSON, hashFiles and the status checks.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

TOKEN = re.compile(
    r"\s*(?:(?P<number>0x[0-9a-fA-F]+|-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
    r"|(?P<string>'(?:[^']|'')*')"
    r"|(?P<op>&&|\|\||==|!=|<=|>=|[<>!()\[\].,*])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))"
)
EMBEDDED = re.compile(r"\$\{\{(.*?)\}\}", re.S)
LITERALS = {"true": True, "false": False, "null": None}
Comparable = TypeVar("Comparable", str, float)  # what GitHub orders: strings, or numbers


class ExpressionError(ValueError):
    """An expression the evaluator cannot parse (GitHub would reject the workflow)."""


class Filtered(list[Any]):
    """The result of an object filter (`labels.*.name`): an array, dereferenced element-wise."""


def tokens(text: str) -> list[tuple[str, str]]:
    found, position = [], 0
    text = text.strip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ExpressionError(f"cannot read `{text[position:]}` in `{text}`")
        kind = match.lastgroup
        assert kind is not None
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


def truthy(value: Any) -> bool:
    if isinstance(value, float) and math.isnan(value):
        return False
    return value not in (None, False, 0, "") or isinstance(value, (list, dict))


def as_number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, (int, float)):  # bool too: True is 1.0
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0.0
        try:
            return float(int(text, 16)) if text.lower().startswith("0x") else float(text)
        except ValueError:
            return math.nan
    return math.nan


def equal(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()
    if isinstance(left, (list, dict)) or isinstance(right, (list, dict)):
        return left is right
    if type(left) is type(right) or {type(left), type(right)} <= {int, float}:
        return bool(left == right)
    return as_number(left) == as_number(right)


def compare(left: Any, right: Any, operator: str) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return ordered(left.casefold(), right.casefold(), operator)
    a, b = as_number(left), as_number(right)
    return not (math.isnan(a) or math.isnan(b)) and ordered(a, b, operator)


def ordered(a: Comparable, b: Comparable, operator: str) -> bool:
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[operator]


def to_string(value: Any) -> str:
    """A value as `${{ }}` interpolation writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, dict)):
        return json.dumps(value, indent=2)
    return str(value)


def member(value: Any, key: Any) -> Any:
    if isinstance(value, Filtered):
        found = Filtered()
        for item in value:
            picked = member(item, key)
            if picked is not None:
                found.append(picked)
        return found
    if isinstance(value, Mapping) and isinstance(key, str):
        if key in value:
            return value[key]
        folded = {str(k).casefold(): v for k, v in value.items()}
        return folded.get(key.casefold())
    if isinstance(value, list) and not isinstance(key, str):
        index = int(as_number(key))
        return value[index] if 0 <= index < len(value) else None
    return None


def star(value: Any) -> Filtered:
    if isinstance(value, Mapping):
        return Filtered(value.values())
    if isinstance(value, list):
        return Filtered(value)
    return Filtered()


def format_string(template: str, *args: Any) -> str:
    def replace(match: re.Match[str]) -> str:
        text = match.group(0)
        if text in ("{{", "}}"):
            return text[0]
        return to_string(args[int(match.group(1))])

    return re.sub(r"\{\{|\}\}|\{(\d+)\}", replace, template)


def contains(search: Any, item: Any) -> bool:
    if isinstance(search, list):
        return any(equal(element, item) for element in search)
    return to_string(item).casefold() in to_string(search).casefold()


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "contains": contains,
    "startswith": lambda a, b: to_string(a).casefold().startswith(to_string(b).casefold()),
    "endswith": lambda a, b: to_string(a).casefold().endswith(to_string(b).casefold()),
    "format": lambda template, *args: format_string(to_string(template), *args),
    "join": lambda array, sep=",": (
        to_string(sep).join(map(to_string, array)) if isinstance(array, list) else to_string(array)
    ),
    "tojson": lambda value: json.dumps(value, indent=2),
    "fromjson": lambda text: json.loads(to_string(text)),
}


class Parser:
    """Recursive descent over the token list, evaluating as it goes.

    No short-circuit side effects exist in expressions, so evaluating both operands is harmless.
    """

    def __init__(
        self,
        text: str,
        contexts: Mapping[str, Any],
        functions: Mapping[str, Callable[..., Any]],
    ) -> None:
        self.text = text
        self.tokens = tokens(text)
        self.position = 0
        self.contexts = {key.casefold(): value for key, value in contexts.items()}
        self.functions = {**FUNCTIONS, **{k.casefold(): v for k, v in functions.items()}}

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (expected is not None and token[1] != expected):
            raise ExpressionError(f"expected {expected or 'more'} in `{self.text}`")
        self.position += 1
        return token

    def parse(self) -> Any:
        value = self.disjunction()
        leftover = self.peek()
        if leftover is not None:
            raise ExpressionError(f"unexpected `{leftover[1]}` in `{self.text}`")
        return value

    def disjunction(self) -> Any:
        value = self.conjunction()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.conjunction()
            value = value if truthy(value) else right
        return value

    def conjunction(self) -> Any:
        value = self.equality()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.equality()
            value = right if truthy(value) else value
        return value

    def equality(self) -> Any:
        value = self.comparison()
        while self.peek() in (("op", "=="), ("op", "!=")):
            operator = self.take()[1]
            right = self.comparison()
            value = equal(value, right) == (operator == "==")
        return value

    def comparison(self) -> Any:
        value = self.unary()
        while self.peek() in (("op", "<"), ("op", "<="), ("op", ">"), ("op", ">=")):
            operator = self.take()[1]
            value = compare(value, self.unary(), operator)
        return value

    def unary(self) -> Any:
        if self.peek() == ("op", "!"):
            self.take()
            return not truthy(self.unary())
        return self.postfix()

    def postfix(self) -> Any:
        value = self.primary()
        while True:
            token = self.peek()
            if token == ("op", "."):
                self.take()
                kind, name = self.take()
                if (kind, name) == ("op", "*"):
                    value = star(value)
                elif kind == "name":
                    value = member(value, name)
                else:
                    raise ExpressionError(f"bad property `{name}` in `{self.text}`")
            elif token == ("op", "["):
                self.take()
                if self.peek() == ("op", "*"):
                    self.take()
                    value = star(value)
                else:
                    value = member(value, self.disjunction())
                self.take("]")
            else:
                return value

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "number":
            return float(int(text, 16)) if text.lower().startswith("0x") else float(text)
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if (kind, text) == ("op", "("):
            value = self.disjunction()
            self.take(")")
            return value
        if kind != "name":
            raise ExpressionError(f"unexpected `{text}` in `{self.text}`")
        if text in LITERALS:
            return LITERALS[text]
        if self.peek() == ("op", "("):
            return self.call(text)
        if text.casefold() not in self.contexts:
            raise ExpressionError(f"unknown context `{text}` in `{self.text}`")
        return self.contexts[text.casefold()]

    def call(self, name: str) -> Any:
        function = self.functions.get(name.casefold())
        if function is None:
            raise ExpressionError(f"unknown function `{name}` in `{self.text}`")
        self.take("(")
        arguments = []
        while self.peek() != ("op", ")"):
            arguments.append(self.disjunction())
            if self.peek() == ("op", ","):
                self.take()
        self.take(")")
        return function(*arguments)


def evaluate(
    text: str,
    contexts: Mapping[str, Any],
    functions: Mapping[str, Callable[..., Any]] | None = None,
) -> Any:
    """The value of one expression (without the `${{ }}`)."""
    return Parser(text, contexts, functions or {}).parse()


def interpolate(
    text: str,
    contexts: Mapping[str, Any],
    functions: Mapping[str, Callable[..., Any]] | None = None,
) -> str:
    """A YAML string with every `${{ }}` replaced by its value, as the runner does."""
    return EMBEDDED.sub(lambda match: to_string(evaluate(match[1], contexts, functions)), text)


def condition(
    text: str | bool,
    contexts: Mapping[str, Any],
    functions: Mapping[str, Callable[..., Any]] | None = None,
) -> bool:
    """An `if:`: `${{ }}` optional, and `success() &&` implied without a status function."""
    if isinstance(text, bool):
        return text
    body = text.strip()
    if body.startswith("${{") and body.endswith("}}"):
        body = body[3:-2]
    status = re.search(r"\b(success|failure|always|cancelled)\s*\(", body, re.I)
    if not status:
        body = f"success() && ({body})"
    return truthy(evaluate(body, contexts, functions))
