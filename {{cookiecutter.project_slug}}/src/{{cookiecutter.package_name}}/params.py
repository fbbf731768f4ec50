"""params.yaml as typed, frozen settings: a typo or a wrong type fails at load, by name."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


# YAML has no path type, so paths alone may be given as strings.
FilePath = Annotated[Path, Field(strict=False)]


class Paths(Settings):
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
    rows: int = Field(gt=0)
    seed: int
    drift: Literal["none", "mild", "severe"]


class Validation(Settings):
{%- if cookiecutter.task == "classification" %}
    min_positive_share: float = Field(ge=0, le=1)
    max_positive_share: float = Field(ge=0, le=1)
{%- else %}
    min_target_std: float = Field(ge=0)
{%- endif %}


class Split(Settings):
    test_size: float = Field(gt=0, lt=1)
    seed: int
{% if cookiecutter.model == "random_forest" %}

class Model(Settings):
    n_estimators: int = Field(ge=1)
    max_depth: int | None = Field(ge=1)
    min_samples_leaf: int = Field(ge=1)
    seed: int
{%- elif cookiecutter.model == "gradient_boosting" %}

class Model(Settings):
    max_iter: int = Field(ge=1)
    learning_rate: float = Field(gt=0, le=1)
    max_depth: int | None = Field(ge=1)
    l2_regularization: float = Field(ge=0)
    seed: int
{%- else %}

class Model(Settings):
{%- if cookiecutter.task == "classification" %}
    C: float = Field(gt=0)
    max_iter: int = Field(ge=1)
{%- else %}
    alpha: float = Field(ge=0)
{%- endif %}
{%- endif %}


class Export(Settings):
    """How closely ONNX Runtime must match scikit-learn on the golden set."""
{% if cookiecutter.task == "classification" %}
    atol: float = Field(ge=0)  # on probabilities; labels must be identical
{%- else %}
    rtol: float = Field(ge=0)
    atol: float = Field(ge=0)
{%- endif %}


class Tracking(Settings):
    tracking_uri: str
    experiment: str = Field(min_length=1)
    registered_model: str = Field(min_length=1)


class MetricRule(Settings):
    direction: Literal["higher", "lower"]
    tolerance: float = Field(ge=0)
    limit: float


class Gate(Settings):
    baseline_ref: str = Field(min_length=1)
    metrics: dict[str, MetricRule] = Field(min_length=1)


class Drift(Settings):
    """`make drift`: effect sizes and the thresholds that turn them into verdicts."""

    min_rows: int = Field(ge=1)
    bins: int = Field(ge=2)
    psi_threshold: float = Field(gt=0)
    wasserstein_threshold: float = Field(gt=0)
    js_threshold: float = Field(gt=0, le=1)
    dataset_drift_share: float = Field(gt=0, le=1)
    prediction_psi_threshold: float = Field(gt=0)
    prediction_sample_rows: int = Field(ge=1)
    performance_sigmas: float = Field(ge=0)
    seed: int


class Params(Settings):
    paths: Paths
    sample: Sample
    validation: Validation
    split: Split
    model: Model
    export: Export
    mlflow: Tracking
    gate: Gate
    drift: Drift


class ParamsError(ValueError):
    """params.yaml is missing or has a wrong value; the message names each field."""


def load_params(path: Path = Path("params.yaml")) -> Params:
    try:
        raw = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as error:
        raise ParamsError(f"cannot read {path}: {error}") from error
    try:
        return Params.model_validate(raw)
    except ValidationError as error:
        fields = "\n".join(
            f"  {'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
            for item in error.errors()
        )
        raise ParamsError(f"{path} has invalid settings; fix these fields:\n{fields}") from None
