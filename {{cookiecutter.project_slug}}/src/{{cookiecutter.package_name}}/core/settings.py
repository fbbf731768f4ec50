"""Settings from environment variables: read once by each entry point, then passed down.

pydantic-settings reads them (each class lists its variables); a value that cannot be used
stops the program with one line naming the variable, the value and the fix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from {{ cookiecutter.package_name }}.core.params import Tracking


class SettingsError(ValueError):
    """An environment variable has a value the program cannot use."""


class EnvironmentSettings(BaseSettings):
    """Settings read from environment variables (by their field names, after `env_prefix`)."""

    @classmethod
    def from_env(cls) -> Self:
        """The settings as the environment sets them; SettingsError names each bad variable."""
        try:
            return cls()
        except ValidationError as error:
            raise SettingsError(describe(cls, error)) from None


def describe(settings: type[BaseSettings], error: ValidationError) -> str:
    """One `NAME='value': fix` per bad variable."""
    prefix = settings.model_config.get("env_prefix", "")
    problems = []
    for issue in error.errors(include_url=False):
        name = f"{prefix}{issue['loc'][0]}".upper()
        reason = issue.get("ctx", {}).get("error", issue["msg"])  # our validators' fix
        problems.append(f"{name}={issue['input']!r}: {reason}")
    return "; ".join(problems)


class GateSettings(EnvironmentSettings):
    """GATE_*: what CI (ci.yml) tells the gate; unset or blank means not given."""

    model_config = SettingsConfigDict(env_prefix="GATE_", frozen=True, extra="ignore")

    baseline_ref: str | None = None  # the target branch; else params.yaml gate.baseline_ref
    override_reason: str | None = None  # accept a change the gate refuses, and say why
    override_by: str | None = None  # who decided the override
    override_refused: str | None = None  # why a requested override was not granted

    @field_validator("*", mode="before")
    @classmethod
    def blank_is_unset(cls, value: object) -> object:
        """Workflows pass every variable, empty when it does not apply."""
        if isinstance(value, str):
            return value.strip() or None
        return value


class TrackingSettings(EnvironmentSettings):
    """MLFLOW_TRACKING_URI: an MLflow server in place of params.yaml's local store."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    mlflow_tracking_uri: str | None = None

    def applied_to(self, tracking: Tracking) -> Tracking:
        """params.yaml's `mlflow:` section, pointed at the server when one is set."""
        if not self.mlflow_tracking_uri:
            return tracking
        return tracking.model_copy(update={"tracking_uri": self.mlflow_tracking_uri})
