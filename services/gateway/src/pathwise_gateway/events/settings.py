"""Settings of the event hub and webhook deliveries (``GATEWAY_WEBHOOKS_*``)."""

from typing import Self

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pathwise_shared.settings import Environment

__all__ = ["DEFAULT_RETRY_SCHEDULE", "EventHubSettings"]

# Seconds before each attempt: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
DEFAULT_RETRY_SCHEDULE: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)


class EventHubSettings(BaseSettings):
    """Kept apart from ``GatewaySettings`` so the hub can be tuned (and tests can compress the
    retry schedule) without touching the gateway's own settings."""

    model_config = SettingsConfigDict(
        env_prefix="GATEWAY_WEBHOOKS_", extra="ignore", populate_by_name=True
    )

    environment: Environment = Field(
        "development", validation_alias=AliasChoices("PATHWISE_ENV", "environment")
    )
    dispatcher: bool = Field(True, description="Run the delivery dispatcher in this process")
    retry_schedule: tuple[float, ...] = DEFAULT_RETRY_SCHEDULE
    # Multiplies every delay of the schedule (tests use a tiny factor).
    retry_scale: float = Field(1.0, gt=0, le=1.0)
    jitter: float = Field(0.2, ge=0, le=0.5, description="± fraction of each delay")
    disable_after_seconds: float = Field(5 * 86400, gt=0, description="Failing this long disables")
    max_retry_after_seconds: float = Field(36000, gt=0)
    poll_seconds: float = Field(0.05, gt=0, le=10)
    # While polls find nothing due and nothing is in flight, the wait between them doubles up to
    # this (new events wake the dispatcher at once, so only scheduled retries wait for a poll):
    # an idle gateway then claims a few times a second instead of twenty, and each claim costs
    # a transaction and the gateway's CPU, which its requests need.
    idle_poll_seconds: float = Field(1.0, gt=0, le=60)
    batch_size: int = Field(200, ge=1, le=2000)
    # In flight at once to all district endpoints together (per process).
    concurrency: int = Field(256, ge=1, le=2000)
    # In flight at once to one endpoint: a hanging endpoint holds at most this many, never the
    # whole ``concurrency``, so every other endpoint keeps sending.
    endpoint_concurrency: int = Field(64, ge=1, le=2000)
    # In flight at once to one internal subscriber (pathways' mastery feed), outside the district
    # endpoints' ``concurrency``: district endpoints cannot starve it, nor it them.
    internal_concurrency: int = Field(64, ge=1, le=2000)
    # Hard limit of one attempt (connect, send, first bytes of the answer), whatever the client.
    timeout_seconds: float = Field(10.0, gt=0, le=60)
    # A claimed delivery becomes due again after this long (a dispatcher died holding it). Keep it
    # well above twice ``timeout_seconds``: a claimed delivery may wait one attempt's time for a
    # free slot of its endpoint before its own attempt starts.
    lease_seconds: float = Field(60.0, gt=0)
    # Development only: let endpoints point at loopback (the demo receiver of ``make run``).
    allow_loopback: bool = False
    rotation_overlap_seconds: int = Field(86400, ge=0, le=7 * 86400)
    inbound_max_bytes: int = Field(5 * 1_048_576, ge=1024)

    @property
    def allow_http(self) -> bool:
        return self.environment != "production"

    @model_validator(mode="after")
    def _refuse_loopback_in_production(self) -> Self:
        if self.environment == "production" and self.allow_loopback:
            raise ValueError("GATEWAY_WEBHOOKS_ALLOW_LOOPBACK cannot be enabled in production")
        if len(self.retry_schedule) < 1:
            raise ValueError("GATEWAY_WEBHOOKS_RETRY_SCHEDULE needs at least one step")
        return self
