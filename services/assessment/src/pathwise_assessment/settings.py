"""Settings of the assessment service (environment variables prefixed ``ASSESSMENT_``)."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from pathwise_shared.settings import ServiceSettings

__all__ = ["AssessmentSettings", "get_settings"]


class AssessmentSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="ASSESSMENT_", extra="ignore", populate_by_name=True
    )

    service_name: str = "assessment"
    fit_interval_hours: float = Field(
        24.0, ge=0, le=24 * 30, description="Refit BKT parameters this often (0 turns it off)"
    )
    fit_min_responses: int = Field(50, ge=10, description="Fit only skills with this many")
    decay_sweep_interval_hours: float = Field(
        24.0,
        ge=0,
        le=24 * 30,
        description="Look for mastery lost to time this often (0 turns it off)",
    )


@lru_cache
def get_settings() -> AssessmentSettings:
    return AssessmentSettings()
