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
    GateReport       reports/gate.json              gate -> scripts (gate.md: its rendering)
    DataValidation   reports/data_validation.json   data -> PR report, CI artifact
    RollbackReport   reports/rollback.json          rollback -> deployment rolled-back
    DriftReport or   reports/drift.json             drift -> monitor.yml, score.yml (`jq .status`)
    InvalidDriftInput  (`load_drift_report`: the file's status decides which)

The drift report's parts (Histogram, FeatureDrift, ...) and the data stage's Problem are plain
frozen dataclasses: the code builds them as it measures, and pydantic checks them strictly when
a file is read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    computed_field,
    model_validator,
)

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
DRIFT_FIX = "run `make drift CURRENT=<batch>` again"


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
        write_json(path, {VERSION_KEY: self.VERSION, **self.model_dump(by_alias=True)})

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


class MetricVerdict(Record):
    """One metric judged (core/rules.py): its values, its rules, every rule the candidate breaks.

    The gate reports it as it is; `passed` and `delta` follow from the fields, are written
    for the readers of reports/gate.json and are derived again when a file is read.
    """

    metric: str
    direction: str
    baseline: float | None
    candidate: float | None
    trivial: float | None
    tolerance: float
    limit: float
    reasons: list[str]  # every rule the candidate breaks; empty when it passes

    @model_validator(mode="before")
    @classmethod
    def derived_again(cls, content: Any) -> Any:
        """A file's `passed` and `delta` are not read: they follow from the other fields."""
        if isinstance(content, dict):
            return {k: v for k, v in content.items() if k not in ("passed", "delta")}
        return content

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        """True when the candidate breaks none of the metric's rules."""
        return not self.reasons

    @computed_field  # type: ignore[prop-decorator]
    @property
    def delta(self) -> float | None:
        """Candidate minus baseline; None when either is missing."""
        if self.baseline is None or self.candidate is None:
            return None
        return self.candidate - self.baseline

    @property
    def reason(self) -> str:
        """The broken rules in one line, or "ok"."""
        return "; ".join(self.reasons) or "ok"


class GateOverride(Record):
    """An override of a failing gate: who asked and why, or why it was refused."""

    reason: str | None
    by: str | None
    refused: str | None


class GateRuleChange(Record):
    """One difference between the target branch's gate rules and this change's."""

    metric: str
    change: str
    loosens: bool


class GateReport(Record):
    """The gate's decision (reports/gate.json; reports/gate.md renders it for people)."""

    NAME: ClassVar[str] = "gate report"
    FIX: ClassVar[str] = "run `make gate`"

    passed: bool  # accepted: nothing failed, or an override accepts the failure
    failed_checks: bool  # a metric or an input check failed, overridden or not
    verdicts: list[MetricVerdict]
    problems: list[str]
    notes: list[str]
    baseline_source: str
    commit: str
    golden_sha256: str | None
    override: GateOverride
    rule_changes: list[GateRuleChange]


@dataclass(frozen=True)
class Problem:
    """One broken rule in one column, with the CSV lines (header is line 1) that break it."""

    source: str
    column: str
    check: str
    rows: int
    examples: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line for people: where, which check, and example lines."""
        where = f" in {self.rows} row(s)" if self.rows else ""
        shown = f": {', '.join(self.examples)}" if self.examples else ""
        return f"{self.source}: column '{self.column}' fails {self.check}{where}{shown}"


class DataValidation(Record):
    """The data stage's verdict on the raw table and the golden set, with every problem."""

    NAME: ClassVar[str] = "data validation report"
    FIX: ClassVar[str] = "run `make repro` (data stage)"

    status: Literal["passed", "failed"]
    problems: list[Problem]  # empty when it passed


class RolledDeployment(Record):
    """One side of a rollback: a GitHub deployment and what its payload (deploy.yml's) named."""

    deployment: int
    release: str
    digest: str
    registered_model: str | None = None  # a release deployed without a model's name
    version: str | None = None
    run_id: str | None = None

    def payload(self) -> dict[str, str]:
        """The deployment payload that runs this release again (what deploy.yml records)."""
        return {
            key: value
            for key, value in self.model_dump(exclude={"deployment"}).items()
            if value is not None
        }


class RollbackReport(Record):
    """What `make rollback` did (reports/rollback.json): from which release to which."""

    model_config = ConfigDict(populate_by_name=True)
    NAME: ClassVar[str] = "rollback report"
    FIX: ClassVar[str] = "run `make rollback`"

    environment: str
    rolled_back: RolledDeployment = Field(validation_alias="from", serialization_alias="from")
    restored: RolledDeployment = Field(validation_alias="to", serialization_alias="to")


ColumnStatus = Literal["ok", "drift", "insufficient_data"]
DriftStatus = Literal["no_drift", "drift", "insufficient_data"]


@dataclass(frozen=True)
class Histogram:
    """Share of rows per bin or category: what the measures compare and the plots show."""

    labels: list[str]
    reference: list[float]
    current: list[float]


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's drift: the measures, their thresholds, the verdict and the histogram."""

    name: str
    kind: Literal["numeric", "categorical", "boolean"]
    psi: float | None
    wasserstein_normalized: float | None  # numeric features only
    js: float | None  # categorical and boolean features only
    null_share: dict[str, float]  # "reference" and "current"
    rows: dict[str, int]  # rows measured (missing values excluded)
    thresholds: dict[str, float]  # "psi" and "distance": effect size or noise, the larger
    verdict: ColumnStatus
    histogram: Histogram


@dataclass(frozen=True)
class PredictionDrift:
    """Drift of the model's output (Predictions.score) between reference and batch."""

    output: str
    psi: float | None
    threshold: float  # prediction_psi_threshold or the PSI's sampling noise, the larger
    rows: dict[str, int]
    verdict: ColumnStatus
    histogram: Histogram


@dataclass(frozen=True)
class MetricCheck:
    """One metric of a labelled batch against the baseline, judged with a sampling allowance."""

    metric: str
    direction: str
    baseline: float | None
    current: float | None
    tolerance: float
    noise: float  # sampling allowance added to the tolerance
    verdict: Literal["ok", "degraded", "insufficient_data"]
    reason: str

    @property
    def delta(self) -> float | None:
        """Batch minus baseline; None when either is missing."""
        if self.baseline is None or self.current is None:
            return None
        return self.current - self.baseline


@dataclass(frozen=True)
class Performance:
    """A labelled batch's metrics, each judged against the baseline's."""

    rows: int
    baseline: str
    metrics: dict[str, float | None]
    checks: list[MetricCheck]
    degraded: list[str]


@dataclass(frozen=True)
class Outside:
    """Rows of one column with values outside the contract: evidence of drift, counted."""

    column: str
    what: str  # what the contract's check means in a batch, e.g. "out of range"
    rows: int
    examples: list[str] = field(default_factory=list)  # "line 7 = 412" (the header is line 1)


@dataclass(frozen=True)
class Source:
    """A compared file, identified by its content."""

    path: str
    rows: int
    sha256: str


@dataclass(frozen=True)
class DriftConclusion:
    """The verdict on a batch and the reasons for it."""

    status: DriftStatus
    reasons: list[str]  # why the status is drift, most important first
    dataset_drift: bool
    drifted_features: list[str]
    drifted_share: float  # of the features with enough rows to judge


class DriftRecord(Record):
    """What reports/drift.json holds: a verdict (DriftReport) or refused input."""

    NAME: ClassVar[str] = "drift report"
    FIX: ClassVar[str] = DRIFT_FIX

    generated_at: str  # ISO 8601, UTC


class DriftReport(DriftRecord):
    """A batch's verdict and everything behind it, as drift.md and drift.html show it."""

    status: DriftStatus
    reasons: list[str]
    dataset_drift: bool
    drifted_features: list[str]
    drifted_share: float
    thresholds: dict[str, float]
    features: list[FeatureDrift]
    prediction: PredictionDrift
    performance: Performance | None
    outside_contract: list[Outside]  # values the contract refuses, per column and check
    notes: list[str]
    reference: Source
    current: Source
    model: dict[str, str]  # runtime, version and model kind of the serving model


class InvalidDriftInput(DriftRecord):
    """A batch that could not be checked (exit status 2): no verdict, so no script reads one."""

    status: Literal["invalid_input"]
    problem: str
    current: str  # the batch's path


DRIFT_REPORTS: TypeAdapter[DriftReport | InvalidDriftInput] = TypeAdapter(
    Annotated[DriftReport | InvalidDriftInput, Field(discriminator="status")]
)


def load_serving_metadata(path: Path) -> OnnxServing | SklearnServing:
    """The serving metadata at `path`, typed by its runtime."""
    content = read_content(path, SERVING_FIX)
    metadata: OnnxServing | SklearnServing = one_of(
        SERVING_METADATA, ServingBase, content, str(path)
    )
    return metadata


def loads_serving_metadata(text: str, source: str) -> OnnxServing | SklearnServing:
    """The serving metadata in `text`, read from `source` (e.g. a cluster's storage)."""
    content = parse_json_object(text, source)
    metadata: OnnxServing | SklearnServing = one_of(SERVING_METADATA, ServingBase, content, source)
    return metadata


def load_drift_report(path: Path) -> DriftReport | InvalidDriftInput:
    """The drift report at `path`: a verdict, or why the batch could not be checked."""
    report: DriftReport | InvalidDriftInput = one_of(
        DRIFT_REPORTS, DriftRecord, read_content(path, DRIFT_FIX), str(path)
    )
    return report


def one_of(
    kinds: TypeAdapter[Any], base: type[Record], content: dict[str, Any], source: str
) -> Any:
    """The record of whichever of `kinds` the content is (`base` names the file and the fix)."""
    body = versioned(content, source, base.NAME, base.FIX, base.VERSION)
    return validated(lambda: kinds.validate_json(body, strict=True), source, base.NAME, base.FIX)


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
