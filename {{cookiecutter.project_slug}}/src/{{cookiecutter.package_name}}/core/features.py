"""The kinds of feature a contract can list, each with everything the project asks of it.

A feature knows its own pandera column (data validation), request type (the API), model
input and ONNX type (training, export, serving), drift measure (`make drift`), how it is
shifted in a demo batch (`make batch`), and example and invalid values (the tests), so no
module switches on the kind of a feature. Missing
values are allowed when `max_null_share` > 0, for every kind.

Only numpy and pydantic are imported here, because the serving image has nothing else;
pandera, pandas, skl2onnx and the drift measures are imported by the methods that use them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Protocol, TypeGuard, TypeVar

import numpy as np
from pydantic import BeforeValidator, Field, JsonValue, StrictBool

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd
    import pandera.pandas as pa
    from sklearn.base import TransformerMixin

    # One column's values: a pandas column (the pipeline) or a list (the service's records).
    Values = pd.Series[Any] | np.ndarray | Sequence[Any]

Measured = TypeVar("Measured")  # what the measures return (a FeatureDrift)
Measured_co = TypeVar("Measured_co", covariant=True)
MISSING_CATEGORY = ""  # what a missing category becomes in the model: one-hot all zeros
NULL_SHARE = "null_share"  # the name of the one check of a whole column rather than of each value
NOISE_SIGMAS = 3.3  # a null share is refused only beyond this many binomial SDs (about 1 in 2,000)


def is_missing(value: object) -> bool:
    """None or NaN (pandas' NA counts too): a missing value, whatever the column's type."""
    if value is None:
        return True
    try:
        return bool(value != value)  # noqa: PLR0124 (NaN is the one value unequal to itself)
    except TypeError:  # pandas.NA refuses to be a bool
        return True


def is_pandas_column(values: Values) -> TypeGuard[pd.Series[Any]]:
    """Told apart by its methods: pandas is not imported here (the service may lack it)."""
    return hasattr(values, "to_numpy") and hasattr(values, "isna")


def floats(values: Values) -> np.ndarray:
    """Values as float64, missing ones as NaN (pandas columns, numpy arrays or lists)."""
    if is_pandas_column(values):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    return np.array([np.nan if is_missing(value) else value for value in values], np.float64)


def null_share_at_most(limit: float) -> pa.Check:
    """At most `limit` missing, beyond what sampling noise adds to a small table.

    A table of n rows drawn where `limit` of the values are missing holds about n * limit
    nulls, give or take sqrt(n * limit * (1 - limit)); more than NOISE_SIGMAS of those
    above fails. Large tables are held to the limit itself.
    """
    import pandera.pandas as pa

    def within(column: pd.Series) -> bool:
        rows = len(column)
        allowed = rows * limit + NOISE_SIGMAS * math.sqrt(rows * limit * (1 - limit))
        return int(column.isna().sum()) <= allowed

    return pa.Check(
        within,
        ignore_na=False,
        name=NULL_SHARE,
        error=f"null_share<={limit:g} (more than {limit:.1%} of the values are missing)",
    )


class DriftMeasures(Protocol[Measured_co]):
    """The drift measures a feature picks from (monitor/measures.py implements them).

    Passed in rather than imported, so that the pipeline's stages, which read the contract,
    do not depend on the monitor's code.
    """

    def numeric(
        self, name: str, reference: pd.Series, current: pd.Series, integer: bool
    ) -> Measured_co:
        """Measures of a number column (PSI on quantile bins, normalized Wasserstein)."""

    def categories(
        self,
        name: str,
        kind: Literal["categorical", "boolean"],
        reference: pd.Series,
        current: pd.Series,
        *,
        categories: tuple[Any, ...],
        labels: list[str],
    ) -> Measured_co:
        """Measures of a column of categories (PSI and the Jensen-Shannon distance)."""


@dataclass(frozen=True)
class IdColumn:
    """A column that names each row: unique, optional in the contract, never a feature."""

    name: str
    pattern: str | None = None

    def column(self) -> pa.Column:
        """How data files are checked: text, unique, matching `pattern` if one is given."""
        import pandera.pandas as pa

        checks = [pa.Check.str_matches(self.pattern)] if self.pattern else []
        return pa.Column("str", checks, unique=True)

    def examples(self, rows: int, prefix: str) -> list[str]:
        """Distinct ids such as "T-00000001" (one capital letter as `prefix`, eight digits)."""
        return [f"{prefix}-{row:08d}" for row in range(1, rows + 1)]


class _Feature:
    """What every kind shares: a name, a description and the share of values allowed missing."""

    name: str
    description: str
    max_null_share: float
    kind: ClassVar[str]

    @property
    def nullable(self) -> bool:
        return self.max_null_share > 0

    def _column(self, dtype: str, checks: list[pa.Check]) -> pa.Column:
        import pandera.pandas as pa

        if self.nullable:
            checks = [*checks, null_share_at_most(self.max_null_share)]
        return pa.Column(dtype, checks, nullable=self.nullable, description=self.description)

    def _optional(self, kind: Any) -> Any:
        if self.nullable:
            kind = kind | None
        return Annotated[kind, Field(description=self.description)]

    def _with_nulls(self, values: np.ndarray, rng: np.random.Generator) -> list[Any]:
        """Example values with about max_null_share of them missing (None)."""
        gone = (rng.random(len(values)) < self.max_null_share / 2).tolist()
        return [None if out else value for value, out in zip(values.tolist(), gone, strict=True)]


def _json_number(value: object) -> object:
    if isinstance(value, str | bool):
        raise ValueError("must be a JSON number")
    return value


@dataclass(frozen=True)
class NumericFeature(_Feature):
    """A number within [minimum, maximum]; `int` columns hold whole numbers only."""

    name: str
    dtype: Literal["int", "float"]
    minimum: float
    maximum: float
    description: str = ""
    max_null_share: float = 0.0

    kind: ClassVar[str] = "numeric"

    def column(self) -> pa.Column:
        """How data files are checked: within the range, nulls up to max_null_share."""
        import pandera.pandas as pa

        # pandas' Int64 holds nulls, and refuses 2.5 where numpy's int64 would make it 2.
        dtype = {"int": "Int64", "float": "float64"}[self.dtype]
        return self._column(dtype, [pa.Check.in_range(self.minimum, self.maximum)])

    def request_type(self) -> Any:
        """The field's type in a scoring request: a JSON number within the range."""
        # JSON numbers only: 3 and 3.0 are the same integer in JSON Schema, "3" and true are not.
        bounds = Field(ge=self.minimum, le=self.maximum)
        if self.dtype == "int":
            number: Any = Annotated[int, bounds, BeforeValidator(_json_number)]
        else:
            finite = Field(allow_inf_nan=False)
            number = Annotated[float, bounds, finite, BeforeValidator(_json_number)]
        return self._optional(number)

    def example(self) -> JsonValue:
        """The value in the API's example request: the middle of the range."""
        middle = (self.minimum + self.maximum) / 2
        return math.floor(middle) if self.dtype == "int" else round(middle, 2)

    def examples(self, rows: int, rng: np.random.Generator) -> list[Any]:
        """Values spread over the whole range (ints: whole numbers), some missing if allowed."""
        values = rng.uniform(self.minimum, self.maximum, rows)
        if self.dtype == "int":
            values = np.clip(np.round(values), math.ceil(self.minimum), math.floor(self.maximum))
            return self._with_nulls(values.astype(np.int64), rng)
        return self._with_nulls(values, rng)

    def invalid_values(self) -> dict[str, object]:
        """Values the contract refuses, by the check that refuses them."""
        span = max(self.maximum - self.minimum, 1)
        below, above = self.minimum - span, self.maximum + span
        invalid: dict[str, object] = {
            "below the minimum": math.floor(below) if self.dtype == "int" else below,
            "above the maximum": math.ceil(above) if self.dtype == "int" else above,
            "text": "forty-two",
        }
        if self.dtype == "int":
            invalid["not a whole number"] = self.example() + 0.5  # type: ignore[operator]
        return invalid

    def to_model(self, values: Values) -> np.ndarray:
        """Floats with NaN for missing values, which the encoder imputes."""
        return floats(values)

    def encoder(self, scale: bool) -> TransformerMixin:
        """Missing values become the training median; linear models also scale."""
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import StandardScaler

        steps = [("impute", SimpleImputer(strategy="median"))]
        if scale:
            steps.append(("scale", StandardScaler()))
        return Pipeline(steps)

    def onnx_type(self) -> object:
        """The ONNX model's input for this feature: one float column."""
        from skl2onnx.common.data_types import FloatTensorType

        return FloatTensorType([None, 1])

    def onnx_array(self, values: Values) -> np.ndarray:
        """The values as the ONNX model reads them (float32, one column)."""
        return floats(values).astype(np.float32).reshape(-1, 1)

    def shifted(self, values: pd.Series, sds: float, rng: np.random.Generator) -> pd.Series:
        """Values moved up by `sds` standard deviations, kept within the range (demo drift)."""
        import pandas as pd

        numbers = pd.to_numeric(values)
        moved = (numbers + sds * numbers.std()).clip(self.minimum, self.maximum)
        return moved.round() if self.dtype == "int" else moved

    def drift(
        self, reference: pd.Series, current: pd.Series, measures: DriftMeasures[Measured]
    ) -> Measured:
        """Numeric measures: PSI on quantile bins and the normalized Wasserstein distance."""
        return measures.numeric(self.name, reference, current, self.dtype == "int")


@dataclass(frozen=True)
class CategoricalFeature(_Feature):
    """One of a fixed list of text values; any other value is refused."""

    name: str
    categories: tuple[str, ...]
    description: str = ""
    max_null_share: float = 0.0

    kind: ClassVar[str] = "categorical"

    def column(self) -> pa.Column:
        """How data files are checked: one of the categories, nulls up to max_null_share."""
        import pandera.pandas as pa

        return self._column("str", [pa.Check.isin(self.categories)])

    def request_type(self) -> Any:
        """The field's type in a scoring request: one of the categories."""
        return self._optional(Literal[self.categories])

    def example(self) -> JsonValue:
        """The value in the API's example request: the first category."""
        return self.categories[0]

    def examples(self, rows: int, rng: np.random.Generator) -> list[Any]:
        """Categories drawn at random, some missing if allowed."""
        return self._with_nulls(rng.choice(np.array(self.categories, dtype=object), rows), rng)

    def invalid_values(self) -> dict[str, object]:
        """Values the contract refuses, by the check that refuses them."""
        unknown = "-".join(self.categories)[:40] + "?"  # not one of the categories
        return {"an unknown category": unknown, "a number": 42}

    def to_model(self, values: Values) -> np.ndarray:
        """Text, with MISSING_CATEGORY for a missing value (ONNX strings cannot be null)."""
        if is_pandas_column(values):  # vectorized
            missing = values.isna().to_numpy()
            text = values.astype(object).to_numpy()
            return np.where(missing, MISSING_CATEGORY, text).astype(object)
        return np.array(
            [MISSING_CATEGORY if is_missing(value) else str(value) for value in values], object
        )

    def encoder(self, scale: bool) -> TransformerMixin:
        """One-hot over the contract's categories; a missing one is all zeros."""
        from sklearn.preprocessing import OneHotEncoder

        return OneHotEncoder(
            categories=[list(self.categories)], handle_unknown="ignore", sparse_output=False
        )

    def onnx_type(self) -> object:
        """The ONNX model's input for this feature: one string column."""
        from skl2onnx.common.data_types import StringTensorType

        return StringTensorType([None, 1])

    def onnx_array(self, values: Values) -> np.ndarray:
        """The values as the ONNX model reads them (strings, one column)."""
        return self.to_model(values).reshape(-1, 1)

    def shifted(self, values: pd.Series, sds: float, rng: np.random.Generator) -> pd.Series:
        """A share `sds / 4` of the values set to the first category (demo drift)."""
        chosen = rng.random(len(values)) < min(sds / 4, 1.0)
        return values.astype(object).where(~chosen, self.categories[0])

    def drift(
        self, reference: pd.Series, current: pd.Series, measures: DriftMeasures[Measured]
    ) -> Measured:
        """Shares of the categories: PSI and the Jensen-Shannon distance."""
        labels = list(self.categories)
        return measures.categories(
            self.name, "categorical", reference, current, categories=self.categories, labels=labels
        )


@dataclass(frozen=True)
class BooleanFeature(_Feature):
    """True or false; the model sees 1.0 or 0.0 (a missing value: the most frequent one)."""

    name: str
    description: str = ""
    max_null_share: float = 0.0

    kind: ClassVar[str] = "boolean"

    def column(self) -> pa.Column:
        """How data files are checked: pandas' nullable boolean, which refuses text like "maybe".

        numpy's bool would read "maybe" as True.
        """
        return self._column("boolean", [])

    def request_type(self) -> Any:
        """The field's type in a scoring request: JSON true or false only (not 1 or "yes")."""
        return self._optional(StrictBool)

    def example(self) -> JsonValue:
        """The value in the API's example request."""
        return False

    def examples(self, rows: int, rng: np.random.Generator) -> list[Any]:
        """True or false at random, some missing if allowed."""
        return self._with_nulls(rng.random(rows) < 0.5, rng)

    def invalid_values(self) -> dict[str, object]:
        """Values the contract refuses, by the check that refuses them."""
        return {"text": "maybe", "a number": 7}

    def to_model(self, values: Values) -> np.ndarray:
        """1.0 or 0.0, with NaN for missing values, which the encoder imputes."""
        return floats(values)

    def encoder(self, scale: bool) -> TransformerMixin:
        """A missing value becomes the most frequent one in the training data."""
        from sklearn.impute import SimpleImputer

        return SimpleImputer(strategy="most_frequent")

    def onnx_type(self) -> object:
        """The ONNX model's input for this feature: one float column (1.0 or 0.0)."""
        from skl2onnx.common.data_types import FloatTensorType

        return FloatTensorType([None, 1])

    def onnx_array(self, values: Values) -> np.ndarray:
        """The values as the ONNX model reads them (float32, one column)."""
        return floats(values).astype(np.float32).reshape(-1, 1)

    def shifted(self, values: pd.Series, sds: float, rng: np.random.Generator) -> pd.Series:
        """A share `sds / 4` of the values set to true (demo drift)."""
        chosen = rng.random(len(values)) < min(sds / 4, 1.0)
        return values.astype(object).where(~chosen, True)

    def drift(
        self, reference: pd.Series, current: pd.Series, measures: DriftMeasures[Measured]
    ) -> Measured:
        """Shares of false and true: PSI and the Jensen-Shannon distance."""
        return measures.categories(
            self.name,
            "boolean",
            reference,
            current,
            categories=(False, True),
            labels=["false", "true"],
        )


Feature = NumericFeature | CategoricalFeature | BooleanFeature
