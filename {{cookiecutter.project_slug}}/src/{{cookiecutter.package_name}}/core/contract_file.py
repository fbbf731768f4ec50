"""contract.yaml's schema: what each entry may say, checked before any feature is built.

The file is data (`make import-data` writes it with a YAML library, you edit it by hand);
this module validates it with pydantic (strict types, no unknown keys, ranges in order,
distinct names and categories) and turns it into the kinds of features.py and targets.py.
A wrong entry is refused by its place in the file (`features[3].maximum`) with the fix.
Numbers keep the type the file gives them (0 stays an int), so the contract's fingerprint
is the same whether a contract was written in Python before or in YAML now.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from {{ cookiecutter.package_name }}.core.features import (
    BooleanFeature,
    CategoricalFeature,
    Feature,
    IdColumn,
    NumericFeature,
)
from {{ cookiecutter.package_name }}.core.targets import (
    BinaryTarget,
    MulticlassTarget,
    NumericTarget,
    Target,
)

Name = Annotated[str, Field(min_length=1)]
Number = Annotated[int | float, Field(allow_inf_nan=False)]  # the file's type is kept
Share = Annotated[int | float, Field(ge=0, le=1)]
ClassLabel = str | int  # booleans are refused (strict): YAML reads yes/no/true as booleans
GUIDE = """\
# contract.py reads this file and refuses a wrong entry by name; `make repro` re-runs every
# stage that reads it.
#
# id: the column naming each row (unique text; never a feature; optional `pattern`), or null.
# features, each with `name`, `kind`, optional `description` and `max_null_share` (the share
# of values that may be missing; 0 when left out):
#   kind numeric: `dtype` int | float, `minimum`, `maximum`
#   kind categorical: `categories` (texts: quote yes/no/true/false, or YAML reads booleans)
#   kind boolean
# target: `name`, `kind`, `description`; its kind makes the task:
#   kind binary: `classes` [negative, positive] as the table writes them (default [0, 1]):
#     classification; multiclass: `classes`, three or more; numeric: `minimum`, `maximum`:
#     regression. params.yaml's `validation`, `export` and `gate.metrics` follow the task.
"""


class Entry(BaseModel):
    """Strict (no "5" for 5, no true for 1), frozen, and no key the kind does not take."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class IdSpec(Entry):
    """The column naming each row: unique text, optionally matching a regular expression."""

    name: Name
    pattern: str | None = None

    def build(self) -> IdColumn:
        """The IdColumn."""
        return IdColumn(self.name, self.pattern)


class NumericSpec(Entry):
    """A number within [minimum, maximum]; dtype int holds whole numbers only."""

    kind: Literal["numeric"]
    name: Name
    dtype: Literal["int", "float"]
    minimum: Number
    maximum: Number
    description: str = ""
    max_null_share: Share = 0.0

    @model_validator(mode="after")
    def ordered(self) -> NumericSpec:
        """The range is not empty."""
        if self.minimum > self.maximum:
            raise ValueError(f"minimum {self.minimum} is above maximum {self.maximum}: swap them")
        return self

    def build(self) -> NumericFeature:
        """The NumericFeature."""
        return NumericFeature(
            self.name,
            self.dtype,
            self.minimum,
            self.maximum,
            self.description,
            max_null_share=self.max_null_share,
        )


class CategoricalSpec(Entry):
    """One of a list of texts."""

    kind: Literal["categorical"]
    name: Name
    categories: Annotated[list[str], Field(min_length=1)]
    description: str = ""
    max_null_share: Share = 0.0

    @model_validator(mode="after")
    def distinct(self) -> CategoricalSpec:
        """Each category once."""
        repeated = sorted({c for c in self.categories if self.categories.count(c) > 1})
        if repeated:
            raise ValueError(f"categories {repeated} are listed twice: list each once")
        return self

    def build(self) -> CategoricalFeature:
        """The CategoricalFeature."""
        return CategoricalFeature(
            self.name, tuple(self.categories), self.description, self.max_null_share
        )


class BooleanSpec(Entry):
    """True or false."""

    kind: Literal["boolean"]
    name: Name
    description: str = ""
    max_null_share: Share = 0.0

    def build(self) -> BooleanFeature:
        """The BooleanFeature."""
        return BooleanFeature(self.name, self.description, self.max_null_share)


class BinarySpec(Entry):
    """A yes/no label: classes [negative, positive], as the table writes them."""

    kind: Literal["binary"]
    name: Name
    description: str = ""
    classes: Annotated[list[ClassLabel], Field(min_length=2, max_length=2)] = [0, 1]

    @model_validator(mode="after")
    def distinct(self) -> BinarySpec:
        """Two different classes."""
        if self.classes[0] == self.classes[1]:
            raise ValueError(f"classes {self.classes} are the same twice: list two classes")
        return self

    def build(self) -> BinaryTarget:
        """The BinaryTarget."""
        return BinaryTarget(self.name, self.description, (self.classes[0], self.classes[1]))


class MulticlassSpec(Entry):
    """Three or more classes, as the table writes them."""

    kind: Literal["multiclass"]
    name: Name
    description: str = ""
    classes: Annotated[list[ClassLabel], Field(min_length=3)]

    @model_validator(mode="after")
    def distinct(self) -> MulticlassSpec:
        """Each class once."""
        if len(set(self.classes)) < len(self.classes):
            raise ValueError(f"classes {self.classes} list a class twice: list each once")
        return self

    def build(self) -> MulticlassTarget:
        """The MulticlassTarget."""
        return MulticlassTarget(self.name, self.description, tuple(self.classes))


class NumericTargetSpec(Entry):
    """A number the model predicts, with its plausible range."""

    kind: Literal["numeric"]
    name: Name
    description: str = ""
    minimum: Number
    maximum: Number

    @model_validator(mode="after")
    def ordered(self) -> NumericTargetSpec:
        """The range is not empty."""
        if self.minimum >= self.maximum:
            raise ValueError(f"minimum {self.minimum} is not below maximum {self.maximum}")
        return self

    def build(self) -> NumericTarget:
        """The NumericTarget."""
        return NumericTarget(self.name, self.description, self.minimum, self.maximum)


FeatureSpec = Annotated[NumericSpec | CategoricalSpec | BooleanSpec, Field(discriminator="kind")]
TargetSpec = Annotated[BinarySpec | MulticlassSpec | NumericTargetSpec, Field(discriminator="kind")]


class ContractSpec(Entry):
    """The whole file: the id column (or null), the features and the target."""

    id: IdSpec | None = None
    features: Annotated[list[FeatureSpec], Field(min_length=1)]
    target: TargetSpec

    @model_validator(mode="after")
    def distinct_columns(self) -> ContractSpec:
        """Every column once: the id, each feature and the target name different columns."""
        names = [f.name for f in self.features] + [self.target.name]
        names += [self.id.name] if self.id else []
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(
                f"column(s) {repeated} named more than once (id, features, target): "
                "each column has one role"
            )
        return self


class ContractError(ValueError):
    """contract.yaml cannot be read or breaks its schema; the message names each field."""


# What pydantic adds to a location: the kind (a tag) and the member of a union of types.
NOT_FIELDS = {"numeric", "categorical", "boolean", "binary", "multiclass", "int", "float", "str"}


def place(location: tuple[int | str, ...]) -> str:
    """`features[3].maximum`: where in the file, without pydantic's tags and union members."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part not in NOT_FIELDS:
            text += f".{part}" if text else part
    return text or "(the file)"


def describe(item: ErrorDetails, entries: dict[str, Any]) -> str:
    """One error as `features[3].name (the entry's name): message`, with the fix."""
    where = place(item["loc"])
    message = item["msg"]
    if item["loc"] and item["loc"][-1] in ("int", "float"):  # either member of a number's union
        message = f"{item['input']!r} is not a number: write one, such as 0 or 2.5"
    elif isinstance(item["input"], bool) and item["type"] == "string_type":
        message += " (YAML reads yes/no/true/false/on/off unquoted as booleans: quote it)"
    elif item["type"] == "extra_forbidden":
        message = "not a key of this kind: remove it (keys: see the comment at the top)"
    elif item["type"] == "union_tag_invalid":
        message = f"unknown kind: {message.split('tag ', 1)[-1]}"
    features = entries.get("features")
    if where.startswith("features[") and isinstance(features, list):
        index = int(where[len("features[") : where.index("]")])
        entry = features[index] if index < len(features) else None
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            where += f" ({entry['name']!r})"
    return f"  {where}: {message}"


Contract = tuple[IdColumn | None, tuple[Feature, ...], Target]


def read(path: Path) -> Contract:
    """The contract in `path`; ContractError names every wrong field at once."""
    try:
        text = path.read_text()
    except OSError as error:
        raise ContractError(f"cannot read {path}: {error}") from None
    return parse(text, path)


def parse(text: str, path: Path) -> Contract:
    """The contract in `text` (read from `path`, which the errors name)."""
    try:
        entries = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ContractError(f"{path} is not YAML: {error}") from None
    try:
        spec = ContractSpec.model_validate(entries)
    except ValidationError as error:
        known = entries if isinstance(entries, dict) else {}
        fields = "\n".join(dict.fromkeys(describe(item, known) for item in error.errors()))
        raise ContractError(
            f"{path} is not a valid contract; fix these fields:\n{fields}"
        ) from None
    identity = spec.id.build() if spec.id else None
    return identity, tuple(entry.build() for entry in spec.features), spec.target.build()


def text_of(
    identity: IdColumn | None, features: list[Feature], target: Target, intro: str, path: Path
) -> str:
    """contract.yaml's text: `intro`, GUIDE, then the entries as YAML, checked as `read` does."""
    data = yaml.safe_dump(
        entries(identity, features, target), sort_keys=False, allow_unicode=True, width=96
    )
    text = f"{intro}#\n{GUIDE}{data}"
    parse(text, path)
    return text


def entries(identity: IdColumn | None, features: list[Feature], target: Target) -> dict[str, Any]:
    """The contract as the file's entries: what `text_of` dumps."""
    kinds = {BinaryTarget: "binary", MulticlassTarget: "multiclass", NumericTarget: "numeric"}
    target_entry: dict[str, Any] = {"name": target.name, "kind": kinds[type(target)]}
    target_entry["description"] = target.description
    if isinstance(target, NumericTarget):
        target_entry |= {"minimum": target.minimum, "maximum": target.maximum}
    else:
        target_entry["classes"] = list(target.classes)
    return {
        "id": None if identity is None else drop_empty(vars(identity).copy()),
        "features": [feature_entry(feature) for feature in features],
        "target": target_entry,
    }


def feature_entry(feature: Feature) -> dict[str, Any]:
    """A feature as an entry: name and kind first, defaults left out."""
    fields = vars(feature).copy()
    entry: dict[str, Any] = {"name": fields.pop("name"), "kind": feature.kind}
    if "categories" in fields:
        fields["categories"] = list(fields["categories"])
    return entry | drop_empty(fields)


def drop_empty(fields: dict[str, Any]) -> dict[str, Any]:
    """Without the keys at their defaults (no pattern, no nulls allowed, no description)."""
    defaults = {"pattern": None, "max_null_share": 0.0, "description": ""}
    return {
        key: value for key, value in fields.items() if key not in defaults or value != defaults[key]
    }
