"""Settings of the gateway service (environment variables prefixed ``GATEWAY_``)."""

import uuid
from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from pathwise_shared.settings import ServiceSettings

__all__ = ["DEV_TOKEN_SIGNING_KEY", "GatewaySettings", "get_settings"]

DEV_TOKEN_SIGNING_KEY = "pathwise-development-gateway-signing-key-change-me"  # noqa: S105
DEV_TOMBSTONE_PEPPER = "pathwise-development-tombstone-pepper-change-me"


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", populate_by_name=True)

    service_name: str = "gateway"

    # Our own access tokens (HS256, pinned): the key never leaves the gateway.
    token_signing_key: SecretStr = SecretStr(DEV_TOKEN_SIGNING_KEY)
    token_issuer: str = "pathwise"  # noqa: S105 - an issuer name, not a secret
    token_audience: str = "pathwise-api"  # noqa: S105 - an audience name
    access_token_ttl_seconds: int = Field(900, ge=60, le=3600)
    # Development login (grant_type=password by username, no password): never in production.
    dev_login: bool | None = Field(
        None, description="None = on outside production; True is refused in production"
    )

    # District identity provider (production users): bearer JWTs verified against its JWKS.
    idp_jwks_url: str = Field("", description="https://… or file://… ; empty = no IdP")
    idp_issuer: str = ""
    idp_audience: str = ""
    idp_algorithms: list[str] = Field(default_factory=lambda: ["RS256"])
    idp_username_claim: str = "preferred_username"
    idp_district_id: uuid.UUID | None = None
    idp_jwks_cache_seconds: float = Field(300.0, gt=0)
    idp_leeway_seconds: int = Field(30, ge=0, le=300)

    # Routing and upstream calls.
    route_refresh_seconds: float = Field(30.0, gt=0)
    route_retry_seconds: float = Field(2.0, gt=0)
    access_cache_seconds: float = Field(5.0, ge=0)
    principal_cache_seconds: float = Field(60.0, ge=0)
    # httpx's API on aiohttp's transport (measured ~8x faster here; see docs/benchmarks.md);
    # "httpx" keeps httpx's own transport, for comparison in bench/bench_gateway.py.
    upstream_transport: Literal["aiohttp", "httpx"] = "aiohttp"
    breaker_failures: int = Field(5, ge=1)
    breaker_reset_seconds: float = Field(10.0, gt=0)

    # Limits and hygiene.
    # Empty = the default for the environment: generous under test so suites are not throttled.
    rate_limit_user: str = ""
    rate_limit_client: str = ""
    rate_limit_storage: str = "memory://"
    # The token endpoint: per client address (across every client id and username it names) and
    # per client id or username (across addresses); ";" adds windows: "10/minute;100/hour".
    rate_limit_token: str = ""
    rate_limit_token_identity: str = ""
    max_body_bytes: int = Field(1_048_576, ge=1024)
    # The uploads streamed to their service (``edge/domain/body_limits.py``: the roster zip): a
    # district's roster is hundreds of MB. Counted as it passes, never held in memory.
    max_upload_bytes: int = Field(1024**3, ge=1024)
    # A learner's portfolio file (streamed too): the largest per-kind limit of pathways (a video,
    # 100 MiB) and the form around it; pathways checks each kind's own limit.
    max_portfolio_upload_bytes: int = Field(101 * 1024**2, ge=1024)
    # How long the service may take to answer once a streamed upload is sent (it saves and
    # checks the file first); other calls have PATHWISE_HTTP_TIMEOUT_SECONDS.
    upload_timeout_seconds: float = Field(120.0, gt=0)
    cors_origins: list[str] = Field(default_factory=list)
    # How long a recorded answer is replayed; after that the key may be used again.
    idempotency_ttl_hours: int = Field(24, ge=1, le=24 * 30)
    # How long a placeholder holds its key while the call is forwarded. None = the upstream
    # timeout plus a margin: by then the forward has answered or failed, so a placeholder older
    # than that was left by a gateway that died, and a retry may take the key over.
    idempotency_lease_seconds: float | None = Field(None, gt=0, le=3600)
    audit_flush_seconds: float = Field(0.5, gt=0)
    # How often audit entries past their district's ``audit_log_days`` are deleted
    # (docs/privacy.md, "Retention"); 0 turns the sweep off.
    audit_retention_interval_seconds: float = Field(6 * 3600.0, ge=0)

    # Learner exports (docs/privacy.md): the zips are kept in a file store
    # (``pathwise_shared.storage``), ``local`` (a directory of this machine) or ``s3``.
    exports_storage_backend: Literal["local", "s3"] = "local"
    exports_storage_dir: Path = Path("var/exports")
    exports_s3_endpoint_url: str | None = None
    exports_s3_bucket: str = ""
    exports_s3_access_key_id: str = ""
    exports_s3_secret_access_key: SecretStr = SecretStr("")
    exports_s3_region: str = "us-east-1"
    # How long a finished export can be downloaded; then it is removed from the store.
    # The secret mixed into a deleted learner's tombstone (sha256 of pepper, district and id):
    # without it the hash cannot be tested against a guessed id (docs/privacy.md "Deletion").
    # Never change it once deletions were made: their tombstones would no longer match.
    tombstone_pepper: SecretStr = SecretStr(DEV_TOMBSTONE_PEPPER)
    # How long a failed deletion step waits before the job tries again (a service down).
    deletion_retry_seconds: float = Field(60.0, gt=0, le=3600)
    # How often the deletion job takes the learners the districts' retention policies made due
    # (profiles' pending deletions) and erases them; 0 turns it off (docs/privacy.md).
    retention_deletion_interval_seconds: float = Field(3600.0, ge=0)
    exports_keep_hours: int = Field(72, ge=1, le=24 * 30)
    # How often the expired exports' zips are removed from the store; 0 turns the sweep off.
    exports_sweep_interval_seconds: float = Field(3600.0, ge=0)

    @property
    def dev_login_enabled(self) -> bool:
        return not self.is_production if self.dev_login is None else self.dev_login

    @property
    def idempotency_lease(self) -> float:
        if self.idempotency_lease_seconds is not None:
            return self.idempotency_lease_seconds
        # connect (at most 2 s) + the request timeout + a margin for our own database writes
        return self.http_timeout_seconds + 5.0

    @property
    def user_rate(self) -> str:
        return self.rate_limit_user or (
            "100000/minute" if self.environment == "test" else "300/minute"
        )

    @property
    def client_rate(self) -> str:
        return self.rate_limit_client or (
            "100000/minute" if self.environment == "test" else "1200/minute"
        )

    @property
    def token_rate(self) -> str:
        return self.rate_limit_token or (
            "100000/minute" if self.environment == "test" else "30/minute;300/hour"
        )

    @property
    def token_identity_rate(self) -> str:
        return self.rate_limit_token_identity or (
            "100000/minute" if self.environment == "test" else "10/minute;60/hour"
        )

    @property
    def idp_enabled(self) -> bool:
        return bool(self.idp_jwks_url)

    @model_validator(mode="after")
    def _refuse_unsafe_gateway_settings(self) -> Self:
        if any(
            alg.lower() == "none" or alg.upper().startswith("HS") for alg in self.idp_algorithms
        ):
            raise ValueError("GATEWAY_IDP_ALGORITHMS must be asymmetric (RS*, ES*, PS*, EdDSA)")
        if not self.is_production:
            return self
        key = self.token_signing_key.get_secret_value()
        if key == DEV_TOKEN_SIGNING_KEY or len(key) < 32:
            raise ValueError(
                "GATEWAY_TOKEN_SIGNING_KEY must be set to a random value of at least 32 "
                "characters in production"
            )
        pepper = self.tombstone_pepper.get_secret_value()
        if pepper == DEV_TOMBSTONE_PEPPER or len(pepper) < 32:
            raise ValueError(
                "GATEWAY_TOMBSTONE_PEPPER must be set to a random value of at least 32 "
                "characters in production"
            )
        if self.dev_login:
            raise ValueError("GATEWAY_DEV_LOGIN cannot be enabled in production")
        if self.idp_enabled and not (self.idp_issuer and self.idp_audience):
            raise ValueError("GATEWAY_IDP_ISSUER and GATEWAY_IDP_AUDIENCE are required with a JWKS")
        return self


@lru_cache
def get_settings() -> GatewaySettings:
    return GatewaySettings()
