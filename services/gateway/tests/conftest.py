"""The gateway app in-process against a real database; tokens minted with its real key
(``pathwise_devstack.fixtures`` builds the database and app fixtures)."""

import uuid
from collections.abc import Callable

import pytest

from pathwise_devstack.fixtures import UNREACHABLE_URL, app_fixture, database_fixture
from pathwise_devstack.testing import TestDatabase
from pathwise_gateway.app import create_app
from pathwise_gateway.edge.domain.tokens import issue_access_token
from pathwise_gateway.migrations import MIGRATIONS
from pathwise_gateway.settings import GatewaySettings
from pathwise_shared.auth import Principal

gateway_db = database_fixture("gateway")


@pytest.fixture(scope="session")
def settings(gateway_db: TestDatabase) -> GatewaySettings:
    # Upstreams point at a closed loopback port: these tests cover the gateway's own routes.
    return GatewaySettings(
        database_url=gateway_db.url,
        environment="test",
        profiles_url=UNREACHABLE_URL,
        pathways_url=UNREACHABLE_URL,
        assessment_url=UNREACHABLE_URL,
        rate_limit_token="1000/minute",
    )


# The very ``settings`` object: ``bearer`` signs with its key.
gateway = app_fixture(create_app, MIGRATIONS, "settings", database="gateway_db")


Bearer = Callable[[Principal], dict[str, str]]


@pytest.fixture(scope="session")
def bearer(settings: GatewaySettings) -> Bearer:
    """Authorization headers of a gateway access token for any principal."""
    return lambda principal: headers_for(settings, principal)


def headers_for(settings: GatewaySettings, principal: Principal) -> dict[str, str]:
    issued = issue_access_token(
        principal,
        key=settings.token_signing_key.get_secret_value(),
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        ttl_seconds=300,
    )
    return {"Authorization": f"Bearer {issued.access_token}"}


@pytest.fixture(scope="session")
def user() -> Callable[..., Principal]:
    return make_user


def make_user(district: uuid.UUID, *roles: str) -> Principal:
    uid = uuid.uuid4()
    return Principal(
        subject=str(uid), kind="user", district_id=district, roles=frozenset(roles), user_id=uid
    )
