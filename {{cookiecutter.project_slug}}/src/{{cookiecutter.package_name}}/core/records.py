"""The files one step writes and another reads, as typed records with a schema version.

Each record class has one `save` and one `load` (`loads` for text read from git): the file
carries its `schema_version`, and a file of another version or shape is refused with its path,
the field and the fix (`RecordError`, a `JsonFileError`: exit status 6). A file without a
`schema_version` was written before records had one, in the shape of version 1.

    RunInfo          models/run.json                train -> evaluate, export
    GoldenReport     metrics/golden.json            evaluate -> gate, baseline, export
    Baseline         metrics/baseline.json          baseline -> gate, drift, model card
    OnnxServing or   models/serving/metadata.json   export -> service, champion, model card
    SklearnServing   (`load_serving_metadata`: the file's runtime decides which)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from {{ cookiecutter.package_name }}.core.files import (
    JsonFileError,
    parse_json_object,
    read_json,
    write_json,
)
from {{ cookiecutter.package_name }}.core.task import Parity

VERSION_KEY = "schema_version"
Name = Annotated[str, Field(min_length=1)]  # what a registry or a run is looked up by
SERVING_FIX = "run `make repro` (export stage) or point at a serving folder it wrote"


class RecordError(JsonFileError):
    """A record file of another schema version or shape; the message names it and the fix."""


class Record(BaseModel):
    """A record: immutable, typed, no field it does not declare; saved with its version."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)
    NAME: ClassVar[str] = "record"  # what error messages call the file
    FIX: ClassVar[str] = "write it again"  # how to write the file again
    VERSION: ClassVar[int] = 1

    def save(self, path: Path) -> None:
        """Write the record (atomically) with its schema version."""
        write_json(path, {VERSION_KEY: self.VERSION, **self.model_dump()})

    @classmethod
    def load(cls, path: Path) -> Self:
        """The record in the file at `path`."""
        content = read_content(path, cls.FIX)
        return cls.parse(content, str(path))

    @classmethod
    def loads(cls, text: str, source: str) -> Self:
        """The record in `text`, read from `source` (e.g. `origin/main:metrics/baseline.json`)."""
        return cls.parse(parse_json_object(text, source), source)

    @classmethod
    def parse(cls, content: dict[str, Any], source: str) -> Self:
        """Check the version, then the shape (strictly: no number is read from text)."""
        body = versioned(content, source, cls.NAME, cls.FIX, cls.VERSION)
        record: Self = validated(
            lambda: cls.model_validate_json(body, strict=True), source, cls.NAME, cls.FIX
        )
        return record


class RunInfo(Record):
    """The training run (models/run.json): where it was logged and what it was trained from."""

    NAME: ClassVar[str] = "run info"
    FIX: ClassVar[str] = "run `make repro` (train stage)"

    run_id: Name
    tracking_uri: str
    registered_model: Name
    version: Name
    lineage: dict[str, str]  # git_commit, data_sha256, params_sha256, contract_sha256
    params: dict[str, Any]  # the model's hyperparameters


class GoldenSet(Record):
    """Which golden set the scores were measured on."""

    path: str
    sha256: str
    rows: int


class GoldenReport(Record):
    """The model's and a trivial model's scores on the golden set, and what they depend on."""

    NAME: ClassVar[str] = "golden report"
    FIX: ClassVar[str] = "run `make repro` (evaluate stage)"

    metrics: dict[str, float]
    trivial: dict[str, float]
    golden: GoldenSet
    contract_sha256: str
    libraries: dict[str, str] = Field(default_factory=dict)  # reports before 2026-12 lack it


class Baseline(GoldenReport):
    """An accepted golden report, stamped with the commit it was measured at (if known)."""

    NAME: ClassVar[str] = "baseline"
    FIX: ClassVar[str] = "run `make baseline` and commit metrics/baseline.json"

    measured_at_commit: str | None = None  # a golden report copied by hand has none


class ServingBase(Record):
    """What the export stage knows about the model it exported, whichever runtime serves it."""

    NAME: ClassVar[str] = "serving metadata"
    FIX: ClassVar[str] = SERVING_FIX

    task: str
    model: str
    target: str
    registered_model: Name
    version: Name
    run_id: Name
    commit: str
    commit_note: str | None  # None for a clean commit (git.commit_note)
    lineage: dict[str, str]
    params: dict[str, Any]
    model_sha256: str
    metrics: dict[str, float]
    trivial: dict[str, float]
    golden: GoldenSet
    golden_sha256: str
    libraries: dict[str, str]
    contract_sha256: str
    parity: Parity

    def golden_report(self) -> GoldenReport:
        """The golden-set scores it was exported with, as the evaluate stage reported them."""
        return GoldenReport(
            metrics=self.metrics,
            trivial=self.trivial,
            golden=self.golden,
            contract_sha256=self.contract_sha256,
            libraries=self.libraries,
        )


class OnnxServing(ServingBase):
    """Served by ONNX Runtime from model.onnx; its inputs by contract feature name."""

    runtime: Literal["onnx"]
    onnx_inputs: dict[str, str]


class SklearnServing(ServingBase):
    """Served by scikit-learn from model.skops (ONNX conversion or parity failed)."""

    runtime: Literal["sklearn"]


ServingMetadata = Annotated[OnnxServing | SklearnServing, Field(discriminator="runtime")]
SERVING_METADATA: TypeAdapter[OnnxServing | SklearnServing] = TypeAdapter(ServingMetadata)


def load_serving_metadata(path: Path) -> OnnxServing | SklearnServing:
    """The serving metadata at `path`, typed by its runtime."""
    return parse_serving_metadata(read_content(path, SERVING_FIX), str(path))


def loads_serving_metadata(text: str, source: str) -> OnnxServing | SklearnServing:
    """The serving metadata in `text`, read from `source` (e.g. a cluster's storage)."""
    return parse_serving_metadata(parse_json_object(text, source), source)


def parse_serving_metadata(content: dict[str, Any], source: str) -> OnnxServing | SklearnServing:
    """Check the version, then the shape, of a serving metadata file's content."""
    body = versioned(content, source, ServingBase.NAME, SERVING_FIX, 1)
    metadata: OnnxServing | SklearnServing = validated(
        lambda: SERVING_METADATA.validate_json(body, strict=True),
        source,
        ServingBase.NAME,
        SERVING_FIX,
    )
    return metadata


def read_content(path: Path, fix: str) -> dict[str, Any]:
    """The JSON object in the file at `path`; a missing or broken file names the fix."""
    try:
        return read_json(path)
    except JsonFileError as error:
        raise RecordError(f"{error}: {fix}") from None


def versioned(content: dict[str, Any], source: str, name: str, fix: str, version: int) -> str:
    """The content without its schema version, as JSON text; another version is refused."""
    found = content.pop(VERSION_KEY, 1)
    if found != version:
        raise RecordError(
            f"{source} is a {name} of schema version {found!r}, this code reads version "
            f"{version}: {fix}"
        )
    return json.dumps(content)


def validated(validate: Callable[[], Any], source: str, name: str, fix: str) -> Any:
    """`validate()`'s record; its validation errors become one RecordError naming each field."""
    try:
        return validate()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'the file'}: {item['msg']}"
            for item in error.errors(include_url=False)[:5]
        )
        raise RecordError(f"{source} is not a valid {name} ({problems}): {fix}") from None
