"""Settings: defaults for the embedded set-up, refusals for production."""

import pytest
from pydantic import ValidationError

from pathwise_shared.settings import DEV_INTERNAL_TOKEN_SECRET, ServiceSettings


def test_embedded_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PATHWISE_ENV", raising=False)
    settings = ServiceSettings(service_name="profiles")
    assert settings.database_url == "sqlite:///var/profiles.db"
    assert settings.port == 8001
    assert settings.internal_token_secret.get_secret_value() == DEV_INTERNAL_TOKEN_SECRET


def test_shared_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHWISE_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("PATHWISE_PROFILES_URL", "http://profiles:8001")
    settings = ServiceSettings(service_name="gateway")
    assert settings.log_level == "DEBUG"
    assert settings.profiles_url == "http://profiles:8001"


def test_production_refuses_the_development_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHWISE_ENV", "production")
    with pytest.raises(ValidationError, match="INTERNAL_TOKEN_SECRET"):
        ServiceSettings(service_name="profiles", database_url="postgresql://db/p")


def test_production_refuses_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHWISE_ENV", "production")
    monkeypatch.setenv("PATHWISE_INTERNAL_TOKEN_SECRET", "x" * 48)
    with pytest.raises(ValidationError, match="PostgreSQL"):
        ServiceSettings(service_name="profiles")
    ok = ServiceSettings(service_name="profiles", database_url="postgresql://db/p")
    assert ok.is_production


def test_a_test_process_relays_only_to_a_gateway_it_was_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PATHWISE_GATEWAY_URL", raising=False)
    monkeypatch.setenv("PATHWISE_ENV", "test")
    assert ServiceSettings(service_name="profiles").outbox_relay is False
    monkeypatch.setenv("PATHWISE_GATEWAY_URL", "http://127.0.0.1:45678")
    assert ServiceSettings(service_name="profiles").outbox_relay is True
    monkeypatch.setenv("PATHWISE_ENV", "development")
    monkeypatch.delenv("PATHWISE_GATEWAY_URL")
    assert ServiceSettings(service_name="profiles").outbox_relay is True
