"""Request and response models, derived from the feature contract.

A record must carry every feature with the contract's type, range and categories, and
nothing else but, optionally, the contract's id column: rows can be posted as they sit in the
table, and each prediction carries the id back, to join it to its row. Anything off is a 422
that names the field. A feature that may be missing (`max_null_share` > 0) accepts null, and
must still be sent. Each field's type comes from its feature (features.py); field names are
the contract's, spaces and all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, create_model

from {{ cookiecutter.package_name }}.core.contract import FEATURES, ID, TARGET
from {{ cookiecutter.package_name }}.core.task import response_of

# Python names for the fields (a column may be called "mean radius", or "json"); the API
# reads and documents each field by its alias, the feature's name in the contract.
FIELDS = {feature.name: f"feature_{position}" for position, feature in enumerate(FEATURES)}

ID_FIELD = "row_id"  # the Python name of the id's field, in a record and in a prediction
# The id as the table writes it: text (matching the contract's pattern, if any) or a whole number.
ID_TYPE: Any = (
    Annotated[StrictStr, Field(pattern=ID.pattern)] if ID and ID.pattern else StrictStr | StrictInt
)
ID_DESCRIPTION = "The row's id, optional: returned with its prediction"

# Each field: (its type, its alias); typed Any, the type create_model's field arguments take.
_fields: dict[str, Any] = {
    FIELDS[feature.name]: (feature.request_type(), Field(alias=feature.name))
    for feature in FEATURES
}
_example: dict[str, Any] = {f.name: f.example() for f in FEATURES}
if ID:  # first, as in the table
    _id = (ID_TYPE | None, Field(None, alias=ID.name, description=ID_DESCRIPTION))
    _fields = {ID_FIELD: _id, **_fields}
    _example_id = ID.examples(1, "T")[0]
    if ID.pattern is None or re.search(ID.pattern, _example_id):  # a hand-written pattern may not
        _example = {ID.name: _example_id, **_example}
Record: type[BaseModel] = create_model(
    "Record",
    __config__=ConfigDict(extra="forbid", json_schema_extra={"examples": [_example]}),
    **_fields,
)


def columns_of(records: Sequence[BaseModel]) -> dict[str, list[Any]]:
    """Validated records as columns, by the contract's names (what the runtime takes)."""
    return {name: [getattr(record, field) for record in records] for name, field in FIELDS.items()}


# The answer's fields depend on the task (task.py): per record the label in the table's own
# form with the probability of the positive class (binary) or of every class (multiclass),
# or the value (regression); with the record's id when the contract has one.
Prediction: type[BaseModel] = TARGET.task.prediction_model
if ID:
    Prediction = create_model(
        "Prediction",
        __base__=Prediction,
        row_id=(ID_TYPE | None, Field(alias=ID.name, description="The record's id, as sent")),
    )
PredictionResponse: type[BaseModel] = response_of(Prediction)


def predictions_of(records: Sequence[BaseModel], answers: list[dict[str, Any]]) -> list[BaseModel]:
    """One Prediction per record (model answers in records' order), with the record's id."""
    if ID is None:
        return [Prediction(**answer) for answer in answers]
    return [
        Prediction(**answer, **{ID.name: getattr(record, ID_FIELD)})
        for record, answer in zip(records, answers, strict=True)
    ]


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
