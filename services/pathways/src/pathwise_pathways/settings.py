"""Settings of the pathways service (environment variables prefixed ``PATHWAYS_``)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from pathwise_shared.settings import ServiceSettings

__all__ = ["PathwaysSettings", "get_settings"]

MiB = 1024 * 1024


class PathwaysSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PATHWAYS_", extra="ignore", populate_by_name=True)

    service_name: str = "pathways"

    # Portfolio files (docs/pathways.md, "Portfolio"). ``local``: a directory of this machine
    # (the embedded default); ``s3``: any S3-compatible store named by the ``s3_*`` settings.
    storage_backend: Literal["local", "s3"] = "local"
    storage_dir: Path = Path("var/portfolio")
    s3_endpoint_url: str | None = None
    s3_bucket: str = ""
    s3_access_key_id: str = ""
    s3_secret_access_key: SecretStr = SecretStr("")
    s3_region: str = "us-east-1"
    # District policy: ``never`` keeps every artifact from guardians whatever the learner chose.
    portfolio_guardian_sharing: Literal["allowed", "never"] = "allowed"
    # District policy for learning beyond the classroom: ``required`` makes every off-site
    # activity need a guardian's consent before it is chosen; ``optional`` leaves it to the
    # activity's own ``requires_guardian_consent``.
    off_site_consent: Literal["required", "optional"] = "required"
    # The largest file of each kind (413 past it).
    portfolio_max_image_bytes: int = Field(10 * MiB, ge=1024)
    portfolio_max_audio_bytes: int = Field(25 * MiB, ge=1024)
    portfolio_max_video_bytes: int = Field(100 * MiB, ge=1024)
    portfolio_max_document_bytes: int = Field(20 * MiB, ge=1024)

    def portfolio_limits(self) -> dict[str, int]:
        return {
            "image": self.portfolio_max_image_bytes,
            "audio": self.portfolio_max_audio_bytes,
            "video": self.portfolio_max_video_bytes,
            "document": self.portfolio_max_document_bytes,
        }


@lru_cache
def get_settings() -> PathwaysSettings:
    return PathwaysSettings()
