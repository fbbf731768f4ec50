"""Request and response models, derived from the feature contract.

A record must carry every feature with the contract's type, range and categories, and
nothing else; anything off is a 422 that names the field.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, create_model

from {{ cookiecutter.package_name }}.contract import (
    FEATURES,
    TARGET,
    BooleanFeature,
    CategoricalFeature,
    Feature,
    NumericFeature,
)


def _field_type(feature: Feature) -> Any:
    if isinstance(feature, CategoricalFeature):
        kind: Any = Literal[feature.categories]
        return Annotated[kind, Field(description=feature.description)]
    if isinstance(feature, BooleanFeature):
        return Annotated[StrictBool, Field(description=feature.description)]
    assert isinstance(feature, NumericFeature)
    # JSON numbers only: 3 and 3.0 are the same integer in JSON Schema, "3" and true are not.
    bounds = Field(ge=feature.minimum, le=feature.maximum)
    if feature.dtype == "int":
        number: Any = Annotated[int, bounds, BeforeValidator(_json_number)]
    else:
        number = Annotated[float, bounds, Field(allow_inf_nan=False), BeforeValidator(_json_number)]
    if feature.max_null_share > 0:
        return Annotated[number | None, Field(description=feature.description)]
    return Annotated[number, Field(description=feature.description)]


def _json_number(value: object) -> object:
    if isinstance(value, str | bool):
        raise ValueError("must be a JSON number")
    return value


def _example() -> dict[str, object]:
    example: dict[str, object] = {}
    for feature in FEATURES:
        if isinstance(feature, CategoricalFeature):
            example[feature.name] = feature.categories[0]
        elif isinstance(feature, BooleanFeature):
            example[feature.name] = False
        else:
            middle = (feature.minimum + feature.maximum) / 2
            example[feature.name] = int(middle) if feature.dtype == "int" else round(middle, 2)
    return example


Record: type[BaseModel] = create_model(
    "Record",
    __config__=ConfigDict(extra="forbid", json_schema_extra={"examples": [_example()]}),
    **{feature.name: (_field_type(feature), ...) for feature in FEATURES},
)


# The answer's fields depend on the task (task.py: LabelPrediction or ValuePrediction per
# record, in a LabelResponse or ValueResponse).
Prediction: type[BaseModel] = TARGET.task.prediction_model
PredictionResponse: type[BaseModel] = TARGET.task.response_model


class Liveness(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready"]
    model_version: str
    runtime: str


def request_body_schema(max_rows: int) -> dict[str, object]:
    """OpenAPI schema of /predict's body: one record, or a list of 1..max_rows records."""
    record = Record.model_json_schema()
    return {
        "anyOf": [
            record,
            {"type": "array", "items": record, "minItems": 1, "maxItems": max_rows},
        ]
    }
