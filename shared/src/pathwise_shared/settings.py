"""Settings base shared by the four services.

Each service subclasses :class:`ServiceSettings` with its own ``env_prefix`` (``PROFILES_`` …) so
``PROFILES_DATABASE_URL`` and ``PROFILES_PORT`` are its own, while ``PATHWISE_*`` variables are read
by every service. Production refuses the development secrets rather than running with them.
"""

from typing import Literal, Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "DEV_INTERNAL_TOKEN_SECRET",
    "SERVICE_PORTS",
    "Environment",
    "ServiceSettings",
    "default_sqlite_url",
]

Environment = Literal["development", "test", "production"]

# Loopback defaults for the embedded set-up; every one is overridable by settings.
SERVICE_PORTS: dict[str, int] = {
    "gateway": 8000,
    "profiles": 8001,
    "pathways": 8002,
    "assessment": 8003,
}

DEV_INTERNAL_TOKEN_SECRET = "pathwise-development-internal-secret-change-me"  # noqa: S105


def default_sqlite_url(service: str) -> str:
    return f"sqlite:///var/{service}.db"


def _shared(name: str) -> AliasChoices:
    """A field read from a PATHWISE_* variable, ignoring the service's own prefix."""
    return AliasChoices(f"PATHWISE_{name}")


class ServiceSettings(BaseSettings):
    """Fields every service has. Subclasses set ``service_name`` and the env prefix."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    service_name: str = "service"
    environment: Environment = Field("development", validation_alias=_shared("ENV"))
    host: str = "127.0.0.1"
    port: int = 0
    database_url: str = ""
    internal_token_secret: SecretStr = Field(
        SecretStr(DEV_INTERNAL_TOKEN_SECRET), validation_alias=_shared("INTERNAL_TOKEN_SECRET")
    )
    internal_token_ttl_seconds: int = Field(
        60, ge=5, le=3600, validation_alias=_shared("INTERNAL_TOKEN_TTL_SECONDS")
    )
    log_level: str = Field("INFO", validation_alias=_shared("LOG_LEVEL"))
    log_json: bool = Field(False, validation_alias=_shared("LOG_JSON"))
    gateway_url: str = Field(
        f"http://127.0.0.1:{SERVICE_PORTS['gateway']}", validation_alias=_shared("GATEWAY_URL")
    )
    profiles_url: str = Field(
        f"http://127.0.0.1:{SERVICE_PORTS['profiles']}", validation_alias=_shared("PROFILES_URL")
    )
    pathways_url: str = Field(
        f"http://127.0.0.1:{SERVICE_PORTS['pathways']}", validation_alias=_shared("PATHWAYS_URL")
    )
    assessment_url: str = Field(
        f"http://127.0.0.1:{SERVICE_PORTS['assessment']}",
        validation_alias=_shared("ASSESSMENT_URL"),
    )
    http_timeout_seconds: float = Field(5.0, gt=0, validation_alias=_shared("HTTP_TIMEOUT_SECONDS"))
    # The outbox relay (pathwise_shared.relay) runs in every service process that has an outbox;
    # turn it off for a process that must not send (a one-off script, a read replica).
    outbox_relay: bool = Field(True, validation_alias=_shared("OUTBOX_RELAY"))
    outbox_relay_interval_seconds: float = Field(
        0.1, gt=0, le=60, validation_alias=_shared("OUTBOX_RELAY_INTERVAL_SECONDS")
    )
    outbox_relay_batch_size: int = Field(
        200, ge=1, le=1000, validation_alias=_shared("OUTBOX_RELAY_BATCH_SIZE")
    )

    @model_validator(mode="after")
    def _fill_defaults(self) -> Self:
        if not self.database_url:
            self.database_url = default_sqlite_url(self.service_name)
        if not self.port:
            self.port = SERVICE_PORTS.get(self.service_name, 0)
        if self.environment == "test" and "gateway_url" not in self.model_fields_set:
            # A test process that was not told where the gateway is must not send its events to
            # the default port, where a developer's `make run` may be listening.
            self.outbox_relay = False
        return self

    @model_validator(mode="after")
    def _refuse_development_secrets(self) -> Self:
        if self.environment != "production":
            return self
        secret = self.internal_token_secret.get_secret_value()
        if secret == DEV_INTERNAL_TOKEN_SECRET or len(secret) < 32:
            raise ValueError(
                "PATHWISE_INTERNAL_TOKEN_SECRET must be set to a random value of at least 32 "
                "characters in production"
            )
        if self.database_url.startswith("sqlite"):
            raise ValueError(f"{self.service_name}: production needs a PostgreSQL database URL")
        return self

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @classmethod
    def environment_variables(cls) -> dict[str, str]:
        """Every environment variable this settings class reads, mapped to its field name."""
        prefix = str(cls.model_config.get("env_prefix", "")).upper()
        names: dict[str, str] = {}
        for field_name, info in cls.model_fields.items():
            if field_name == "service_name":
                continue
            alias = info.validation_alias
            if isinstance(alias, AliasChoices):
                names.update({str(choice).upper(): field_name for choice in alias.choices})
            else:
                names[f"{prefix}{field_name.upper()}"] = field_name
        return names
