"""Settings of the profiles service (environment variables prefixed ``PROFILES_``)."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from pathwise_shared.settings import ServiceSettings

__all__ = ["ProfilesSettings", "get_settings"]


class ProfilesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PROFILES_", extra="ignore", populate_by_name=True)

    service_name: str = "profiles"
    # District policy on consent: may a learner hide the parts they own from their teachers?
    # (They may always hide them from guardians.) See docs/profiles.md, "Visibility".
    learner_may_hide_from_teachers: bool = False
    # The mass-change guard of roster imports: refuse, without force, a run that changes or
    # deletes more than this share of the district's existing roster.
    import_max_change_share: float = Field(0.5, gt=0, le=1)
    # Operators may import from a server folder only below this directory (unset: disabled).
    import_root: str | None = None


@lru_cache
def get_settings() -> ProfilesSettings:
    return ProfilesSettings()
