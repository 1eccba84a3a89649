"""Settings of the pathways service (environment variables prefixed ``PATHWAYS_``)."""

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from pathwise_shared.settings import ServiceSettings

__all__ = ["PathwaysSettings", "get_settings"]


class PathwaysSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PATHWAYS_", extra="ignore", populate_by_name=True)

    service_name: str = "pathways"


@lru_cache
def get_settings() -> PathwaysSettings:
    return PathwaysSettings()
