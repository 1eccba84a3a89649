"""Settings of the profiles service (environment variables prefixed ``PROFILES_``)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from pathwise_profiles.domain.roster_guard import DEFAULT_MIN_ROWS, GuardLimits
from pathwise_shared.settings import ServiceSettings

__all__ = ["ProfilesSettings", "get_settings"]

MiB = 1024 * 1024


class ProfilesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PROFILES_", extra="ignore", populate_by_name=True)

    service_name: str = "profiles"
    # District policy on consent: may a learner hide the parts they own from their teachers?
    # (They may always hide them from guardians.) See docs/profiles.md, "Visibility".
    learner_may_hide_from_teachers: bool = False
    # The mass-change guard of roster imports, per kind (``domain/roster_guard.py``): a run that
    # updates or deletes more than a kind's share of its active rows is refused without force.
    # Limits not given keep their defaults, e.g. PROFILES_IMPORT_GUARD_MAX_SHARE='{"users:student":
    # 0.1}'; fewer than PROFILES_IMPORT_GUARD_MIN_ROWS changed rows of a kind never trip it.
    import_guard_max_share: dict[str, float] = Field(default_factory=dict)
    import_guard_min_rows: int = Field(DEFAULT_MIN_ROWS, ge=1)
    # The largest roster zip an upload may carry (413 past it). The multipart body is spooled to
    # a temporary file and copied in chunks, never held in memory; the gateway bounds the body
    # on the wire (GATEWAY_MAX_UPLOAD_BYTES, the same default).
    import_max_upload_bytes: int = Field(1024**3, ge=1024)
    # Operators may import from a server folder only below this directory (unset: disabled).
    import_root: str | None = None
    # How often deferred notification deliveries (held by a user's quiet hours) are looked at;
    # 0 turns the sweep off (docs/profiles.md, "Notifications").
    notification_sweep_interval_seconds: float = Field(60.0, ge=0)
    # How often the districts' retention policies are evaluated (docs/privacy.md, "Retention"):
    # it records who is due for deletion (the gateway's deletion job erases them); 0 turns it off.
    retention_sweep_interval_seconds: float = Field(6 * 3600.0, ge=0)
    # Messages (docs/profiles.md, "Messages"). District policy: may the learner take part in
    # threads about them? Off: threads are between their teachers, guardians and school staff.
    learner_in_threads: bool = False
    # Where attachments live, as pathways' portfolio files (``pathwise_shared.storage``):
    # ``local``, a directory of this machine, or ``s3``, any S3-compatible store.
    storage_backend: Literal["local", "s3"] = "local"
    storage_dir: Path = Path("var/messages")
    s3_endpoint_url: str | None = None
    s3_bucket: str = ""
    s3_access_key_id: str = ""
    s3_secret_access_key: SecretStr = SecretStr("")
    s3_region: str = "us-east-1"
    # The largest attachment of each kind (413 past it): the portfolio's limits.
    message_max_image_bytes: int = Field(10 * MiB, ge=1024)
    message_max_audio_bytes: int = Field(25 * MiB, ge=1024)
    message_max_video_bytes: int = Field(100 * MiB, ge=1024)
    message_max_document_bytes: int = Field(20 * MiB, ge=1024)

    @field_validator("import_guard_max_share")
    @classmethod
    def _known_guard_kinds(cls, value: dict[str, float]) -> dict[str, float]:
        GuardLimits.with_overrides(value)  # unknown kinds and limits out of range fail start-up
        return value

    def attachment_limits(self) -> dict[str, int]:
        return {
            "image": self.message_max_image_bytes,
            "audio": self.message_max_audio_bytes,
            "video": self.message_max_video_bytes,
            "document": self.message_max_document_bytes,
        }

    def import_guard_limits(self) -> GuardLimits:
        return GuardLimits.with_overrides(self.import_guard_max_share, self.import_guard_min_rows)


@lru_cache
def get_settings() -> ProfilesSettings:
    return ProfilesSettings()
