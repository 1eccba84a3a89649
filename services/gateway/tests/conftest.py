"""The gateway app in-process against a real database; tokens minted with its real key."""

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from pathwise_devstack.testing import (
    ServiceClient,
    TestDatabase,
    create_test_database,
    drop_test_database,
    service_client,
)
from pathwise_gateway.app import create_app
from pathwise_gateway.edge.domain.tokens import issue_access_token
from pathwise_gateway.migrations import MIGRATIONS
from pathwise_gateway.settings import GatewaySettings
from pathwise_shared.auth import Principal


@pytest.fixture(scope="session")
def gateway_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    directory: Path = tmp_path_factory.mktemp("gateway")
    db = create_test_database("gateway", directory)
    yield db
    drop_test_database(db)


@pytest.fixture(scope="session")
def settings(gateway_db: TestDatabase) -> GatewaySettings:
    # Upstreams point at a closed loopback port: these tests cover the gateway's own routes.
    return GatewaySettings(
        database_url=gateway_db.url,
        environment="test",
        profiles_url="http://127.0.0.1:9",
        pathways_url="http://127.0.0.1:9",
        assessment_url="http://127.0.0.1:9",
        rate_limit_token="1000/minute",
    )


@pytest.fixture(scope="session")
async def gateway(settings: GatewaySettings) -> AsyncIterator[ServiceClient]:
    async with service_client(create_app, settings, MIGRATIONS) as client:
        yield client


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
