"""The model kinds params.yaml can choose: `model.kind` and that kind's hyperparameters.

Each kind is a frozen pydantic model of its hyperparameters that builds its scikit-learn
estimator for either task. Their defaults are written here only: params.yaml names the kind
and overrides what it sets (a key another kind uses is rejected by name), so trying another
kind is a one-line change in params.yaml: `kind: linear`.

To add a kind, write one class here, like those below, and add it to `ModelKind` at the
bottom. The class holds everything the project needs to know about it:
- `kind`, its name in params.yaml, and its hyperparameters with their bounds;
- `classifier()` and `regressor()`, its estimator for each task (contract.py's TARGET says
  which is used);
- `trusted_types`, the types beyond skops' defaults that its fitted estimator holds: review
  them (`skops.io.get_untrusted_types`), they are what loading a model file may create;
- `scale_numeric`, whether numeric features are standardized before it;
- `onnx_options`, skl2onnx options for its estimator (the task adds its own).
scikit-learn is imported inside the methods: reading params.yaml must stay fast.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from sklearn.base import BaseEstimator


class Kind(BaseModel, ABC):
    """What every model kind provides; see the module docstring."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    trusted_types: ClassVar[tuple[str, ...]] = ()
    scale_numeric: ClassVar[bool] = False
    onnx_options: ClassVar[dict[str, object]] = {}

    @abstractmethod
    def classifier(self) -> BaseEstimator:
        """The unfitted estimator for a class label (two classes or more, as codes)."""

    @abstractmethod
    def regressor(self) -> BaseEstimator:
        """The unfitted estimator for a numeric target."""


class RandomForest(Kind):
    """Bagged decision trees: robust defaults, little tuning."""

    kind: Literal["random_forest"]
    n_estimators: int = Field(default=100, ge=1)
    max_depth: int | None = Field(default=12, ge=1)
    min_samples_leaf: int = Field(default=5, ge=1)
    seed: int = 42

    trusted_types = ("sklearn.tree._tree.Tree",)

    def classifier(self) -> BaseEstimator:
        """RandomForestClassifier with these settings."""
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(**self._settings())

    def regressor(self) -> BaseEstimator:
        """RandomForestRegressor with these settings."""
        from sklearn.ensemble import RandomForestRegressor

        return RandomForestRegressor(**self._settings())

    def _settings(self) -> dict[str, object]:
        return {
            "n_estimators": self.n_estimators,
            "max_depth": self.max_depth,
            "min_samples_leaf": self.min_samples_leaf,
            "n_jobs": -1,
            "random_state": self.seed,
        }


class GradientBoosting(Kind):
    """Histogram gradient boosting: usually the most accurate on tables."""

    kind: Literal["gradient_boosting"]
    max_iter: int = Field(default=200, ge=1)
    learning_rate: float = Field(default=0.05, gt=0, le=1)
    max_depth: int | None = Field(default=6, ge=1)
    l2_regularization: float = Field(default=1.0, ge=0)
    seed: int = 42

    trusted_types = ("sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",)

    def classifier(self) -> BaseEstimator:
        """HistGradientBoostingClassifier with these settings."""
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(**self._settings())

    def regressor(self) -> BaseEstimator:
        """HistGradientBoostingRegressor with these settings."""
        from sklearn.ensemble import HistGradientBoostingRegressor

        return HistGradientBoostingRegressor(**self._settings())

    def _settings(self) -> dict[str, object]:
        return {
            "max_iter": self.max_iter,
            "learning_rate": self.learning_rate,
            "max_depth": self.max_depth,
            "l2_regularization": self.l2_regularization,
            "early_stopping": False,  # every iteration runs: the result depends on params only
            "random_state": self.seed,
        }


class Linear(Kind):
    """Logistic regression (classification) or ridge regression, on standardized features."""

    kind: Literal["linear"]
    alpha: float = Field(default=1.0, gt=0)  # L2 penalty: ridge's alpha, logistic's 1/C
    max_iter: int = Field(default=1000, ge=1)  # logistic regression's solver; ridge is exact

    scale_numeric = True

    def classifier(self) -> BaseEstimator:
        """Logistic regression; its C is 1 / alpha, so alpha means the same for both tasks."""
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=1 / self.alpha, max_iter=self.max_iter)

    def regressor(self) -> BaseEstimator:
        """Ridge regression (L2 penalty alpha)."""
        from sklearn.linear_model import Ridge

        return Ridge(alpha=self.alpha)


ModelKind = RandomForest | GradientBoosting | Linear
ModelParams = Annotated[ModelKind, Field(discriminator="kind")]
# Each kind by its name in params.yaml.
KINDS: dict[str, type[Kind]] = {
    get_args(member.model_fields["kind"].annotation)[0]: member for member in get_args(ModelKind)
}
