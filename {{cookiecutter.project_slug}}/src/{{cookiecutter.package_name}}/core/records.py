"""The files one step writes and another reads, as typed records with a schema version.

Each file has one `RecordFile`: `save` writes the record with its `schema_version`, `load`
reads it back typed, and refuses a file of another version or shape with its path, the
problem and the fix (`RecordError`, a `JsonFileError`: exit status 6). A file without a
`schema_version` was written before records had one, in the shape of version 1.

    run info         models/run.json          train -> evaluate, export
    golden report    metrics/golden.json      evaluate -> gate, baseline, export
    baseline         metrics/baseline.json    baseline -> gate, drift, model card
    serving metadata models/serving/...json   export -> service, batch, champion, model card
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from {{ cookiecutter.package_name }}.core.files import (
    JsonFileError,
    parse_json_object,
    read_json,
    write_json,
)
from {{ cookiecutter.package_name }}.core.task import Parity

VERSION_KEY = "schema_version"
T = TypeVar("T")
Name = Annotated[str, Field(min_length=1)]  # what a registry or a run is looked up by


class RecordError(JsonFileError):
    """A record file of another schema version or shape; the message names it and the fix."""


class Record(BaseModel):
    """A record: immutable, every field typed, no field it does not declare."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class RunInfo(Record):
    """The training run (models/run.json): where it was logged and what it was trained from."""

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

    metrics: dict[str, float]
    trivial: dict[str, float]
    golden: GoldenSet
    contract_sha256: str
    libraries: dict[str, str]


class Baseline(GoldenReport):
    """An accepted golden report, stamped with the commit it was measured at (if known)."""

    measured_at_commit: str | None = None  # a golden report copied by hand has none


class ServingBase(Record):
    """What the export stage knows about the model it exported, whichever runtime serves it."""

    task: str
    model: str
    target: str
    registered_model: Name
    version: Name
    run_id: Name
    commit: str
    commit_note: str
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


@dataclass(frozen=True)
class RecordFile(Generic[T]):
    """One kind of record file: its type, its schema version and how to write it again."""

    name: str
    adapter: TypeAdapter[T]
    fix: str
    version: int = 1

    def save(self, path: Path, record: T) -> None:
        """Write the record (atomically) with its schema version."""
        content = self.adapter.dump_python(record, mode="json")
        write_json(path, {VERSION_KEY: self.version, **content})

    def load(self, path: Path) -> T:
        """The record in the file at `path`."""
        try:
            content = read_json(path)
        except JsonFileError as error:
            raise RecordError(f"{error}: {self.fix}") from None
        return self.parse(content, str(path))

    def loads(self, text: str, source: str) -> T:
        """The record in `text`, read from `source` (e.g. `origin/main:metrics/baseline.json`)."""
        return self.parse(parse_json_object(text, source), source)

    def parse(self, content: dict[str, Any], source: str) -> T:
        """Check the version, then the shape; either error names the source and the fix."""
        version = content.pop(VERSION_KEY, 1)
        if version != self.version:
            raise RecordError(
                f"{source} is a {self.name} of schema version {version!r}, this code reads "
                f"version {self.version}: {self.fix}"
            )
        try:
            # Strict JSON validation: numbers stay numbers, nothing is coerced from text.
            return self.adapter.validate_json(json.dumps(content), strict=True)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in item['loc']) or 'the file'}: {item['msg']}"
                for item in error.errors(include_url=False)[:5]
            )
            invalid = f"{source} is not a valid {self.name} ({problems})"
            raise RecordError(f"{invalid}: {self.fix}") from None


RUN_INFO = RecordFile("run info", TypeAdapter(RunInfo), "run `make repro` (train stage)")
GOLDEN_REPORT = RecordFile(
    "golden report", TypeAdapter(GoldenReport), "run `make repro` (evaluate stage)"
)
BASELINE = RecordFile(
    "baseline", TypeAdapter(Baseline), "run `make baseline` and commit metrics/baseline.json"
)
SERVING_METADATA: RecordFile[OnnxServing | SklearnServing] = RecordFile(
    "serving metadata",
    TypeAdapter(ServingMetadata),
    "run `make repro` (export stage) or point at a serving folder it wrote",
)
