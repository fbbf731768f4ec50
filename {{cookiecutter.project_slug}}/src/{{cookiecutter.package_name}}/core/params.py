"""params.yaml as typed, frozen settings: a typo or a wrong type fails at load, by name."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
)
from pydantic_core import ErrorDetails

from {{ cookiecutter.package_name }}.core.contract import TARGET
from {{ cookiecutter.package_name }}.core.estimators import KINDS, ModelParams
from {{ cookiecutter.package_name }}.core.task import (
    ClassificationExport,
    ClassificationValidation,
    MulticlassValidation,
    RegressionExport,
    RegressionValidation,
)


class Settings(BaseModel):
    """Frozen, strict, no unknown keys: a typo in params.yaml fails at load."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


# YAML has no path type, so paths alone may be given as strings.
FilePath = Annotated[Path, Field(strict=False)]


class Paths(Settings):
    """Where the stages read and write their files."""

    raw: FilePath
    golden: FilePath
    prepared: FilePath
    model: FilePath
    run_info: FilePath
    data_metrics: FilePath
    train_metrics: FilePath
    golden_metrics: FilePath
    baseline: FilePath
    serving: FilePath
    export_metrics: FilePath
    reports: FilePath


class Sample(Settings):
    """The demo's synthetic data (the `generate` stage); `make import-data` removes both."""

    rows: int = Field(gt=0)
    seed: int
    drift: Literal["none", "mild", "severe"]


class Split(Settings):
    """The held-out test share of the prepared data, and its seed."""

    test_size: float = Field(gt=0, lt=1)
    seed: int


def contract_task(_: object) -> str:
    """The tag of the task-specific sections: the task of contract.py's TARGET, not the YAML."""
    return TARGET.task.name


# `validation` and `export` differ by task (their classes are in task.py).
Validation = Annotated[
    Annotated[ClassificationValidation, Tag("classification")]
    | Annotated[MulticlassValidation, Tag("multiclass")]
    | Annotated[RegressionValidation, Tag("regression")],
    Discriminator(contract_task),
]
Export = Annotated[
    Annotated[ClassificationExport, Tag("classification")]
    | Annotated[ClassificationExport, Tag("multiclass")]
    | Annotated[RegressionExport, Tag("regression")],
    Discriminator(contract_task),
]


class Tracking(Settings):
    """MLflow: where runs are logged and the name the model is registered under."""

    tracking_uri: str
    experiment: str = Field(min_length=1)
    registered_model: str = Field(min_length=1)


class MetricRule(Settings):
    """One metric's rule: the better direction, the regression allowed and an absolute limit."""

    direction: Literal["higher", "lower"]
    tolerance: float = Field(ge=0)
    limit: float


class Gate(Settings):
    """The golden-set gate: whose baseline to judge against, and each metric's rule."""

    baseline_ref: str = Field(min_length=1)
    metrics: dict[str, MetricRule] = Field(min_length=1)


class DriftRules(Settings):
    """`make drift`: effect sizes and the thresholds that turn them into verdicts."""

    min_rows: int = Field(ge=1)
    bins: int = Field(ge=2)
    psi_threshold: float = Field(gt=0)
    wasserstein_threshold: float = Field(gt=0)
    js_threshold: float = Field(gt=0, le=1)
    false_alarm_rate: float = Field(gt=0, lt=1)
    dataset_drift_share: float = Field(gt=0, le=1)
    prediction_psi_threshold: float = Field(gt=0)
    prediction_sample_rows: int = Field(ge=1)
    performance_sigmas: float = Field(ge=0)
    seed: int


class CanaryRule(Settings):
    """A canary metric's rule: the better direction and how much worse the challenger may be."""

    direction: Literal["higher", "lower"]
    tolerance: float = Field(ge=0)


class LatencyRule(CanaryRule):
    """p99 latency, relative to the champion's or `floor` seconds, whichever is higher."""

    floor: float = Field(ge=0)


class ShiftRule(Settings):
    """A distance between score distributions: only lower is better."""

    direction: Literal["lower"]
    tolerance: float = Field(gt=0, le=1)


class CanaryMetrics(Settings):
    """The three comparisons of challenger with champion in each interval."""

    error_rate: CanaryRule
    latency_p99: LatencyRule
    score_shift: ShiftRule


class Deploy(Settings):
    """`make canary` and the Argo AnalysisTemplate: traffic, intervals and the judge's rules."""

    mode: Literal["canary", "shadow"]
    share: float = Field(ge=0, le=1)
    interval_seconds: float = Field(gt=0)
    intervals: int = Field(ge=1)
    min_requests: int = Field(ge=1)
    failure_limit: int = Field(ge=1)
    egregious: float = Field(gt=1)
    alpha: float = Field(gt=0, lt=0.5)
    metrics: CanaryMetrics


class Impact(Settings):
    """`make impact-report`: the experiment's variants, its business metric and its thresholds."""

    log: FilePath  # the service's prediction log (SERVE_PREDICTION_LOG; rotated files too)
    outcomes: FilePath  # CSV or Parquet: the contract's id, the outcome, its time
    control: str = Field(min_length=1)  # the variant the others are compared with
    split: dict[str, Annotated[float, Field(gt=0)]] = Field(min_length=2)  # share per variant
    metric: str = Field(min_length=1)  # the business metric, as the report names it
    outcome: str = Field(min_length=1)  # its column in the outcomes file
    better: Literal["higher", "lower"]
    pre_period: str | None = None  # the same measure before the experiment: CUPED
    alpha: float = Field(gt=0, lt=0.5)  # the intervals hold with 1 - alpha, at every look
    srm_p: float = Field(gt=0, lt=1)  # a sample-ratio p-value below it: the split is broken
    min_units: int = Field(ge=2)  # per variant, with an outcome; fewer: "not enough data"
    tuning_units: int = Field(ge=1)  # the interval is tightest near this many units in all
    target_lift: float = Field(gt=0)  # relative effect the duration calculator plans for
    power: float = Field(gt=0, lt=1)  # the calculator's chance of detecting it


class Params(Settings):
    """The whole of params.yaml."""

    paths: Paths
    sample: Sample | None = None
    validation: Validation
    split: Split
    model: ModelParams
    export: Export
    mlflow: Tracking
    gate: Gate
    drift: DriftRules
    deploy: Deploy
    impact: Impact | None = None


class ParamsError(ValueError):
    """params.yaml is missing or has a wrong value; the message names each field."""


def describe(item: ErrorDetails) -> str:
    """One validation error as `section.field: message`, with the fix where it is not obvious.

    In tagged sections (`model` by its kind; `validation` and `export` by the contract's
    task) pydantic puts the tag in the location; the message names it instead.
    """
    loc = [str(part) for part in item["loc"]]
    message = item["msg"]
    wrong_keys = item["type"] in ("extra_forbidden", "missing")
    if loc == ["model"] and item["type"] == "union_tag_not_found":
        message = f"no kind: set model.kind to one of {', '.join(KINDS)}"
    elif len(loc) > 2 and loc[0] == "model" and loc[1] in KINDS:
        kind = loc.pop(1)
        takes = ", ".join(name for name in KINDS[kind].model_fields if name != "kind")
        message += f" (kind {kind} takes {takes}; see estimators.py)" if wrong_keys else ""
    elif len(loc) > 2 and loc[0] in ("validation", "export") and loc[1] == TARGET.task.name:
        task = loc.pop(1)
        takes = ", ".join(getattr(TARGET.task, f"{loc[0]}_settings").model_fields)
        hint = (
            f" ({loc[0]} for {task} takes {takes}; the task follows from contract.yaml's "
            f"target {TARGET.name!r}, a {type(TARGET).__name__})"
        )
        message += hint if wrong_keys else ""
    return f"  {'.'.join(loc)}: {message}"


def load_params(path: Path = Path("params.yaml")) -> Params:
    """Read and validate params.yaml; ParamsError names every wrong field."""
    try:
        raw = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as error:
        raise ParamsError(f"cannot read {path}: {error}") from error
    try:
        return Params.model_validate(raw)
    except ValidationError as error:
        fields = "\n".join(describe(item) for item in error.errors())
        raise ParamsError(f"{path} has invalid settings; fix these fields:\n{fields}") from None
