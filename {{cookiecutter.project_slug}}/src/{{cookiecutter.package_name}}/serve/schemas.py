"""Request and response models, derived from the feature contract.

A record must carry every feature with the contract's type, range and categories, and
nothing else; anything off is a 422 that names the field. A feature that may be missing
(`max_null_share` > 0) accepts null, and must still be sent. Each field's type comes from its
feature (features.py); field names are the contract's, spaces and all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from {{ cookiecutter.package_name }}.contract import FEATURES, TARGET
from {{ cookiecutter.package_name }}.task import response_of

# Python names for the fields (a column may be called "mean radius", or "json"); the API
# reads and documents each field by its alias, the feature's name in the contract.
FIELDS = {feature.name: f"feature_{position}" for position, feature in enumerate(FEATURES)}

# Each field: (its type, its alias); typed Any, the type create_model's field arguments take.
_fields: dict[str, Any] = {
    FIELDS[feature.name]: (feature.request_type(), Field(alias=feature.name))
    for feature in FEATURES
}
Record: type[BaseModel] = create_model(
    "Record",
    __config__=ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{f.name: f.example() for f in FEATURES}]},
    ),
    **_fields,
)


def columns_of(records: Sequence[BaseModel]) -> dict[str, list[Any]]:
    """Validated records as columns, by the contract's names (what the runtime takes)."""
    return {name: [getattr(record, field) for record in records] for name, field in FIELDS.items()}


# The answer's fields depend on the task (task.py): per record the label in the table's own
# form with the probability of the positive class (binary) or of every class (multiclass),
# or the value (regression).
Prediction: type[BaseModel] = TARGET.task.prediction_model
PredictionResponse: type[BaseModel] = response_of(Prediction)


class Liveness(BaseModel):
    """The process is up; says nothing about the model."""

    status: Literal["ok"]


class Readiness(BaseModel):
    """A model is loaded: its registry version and the runtime that scores it."""

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
