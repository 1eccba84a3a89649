"""Throttling of ``POST /v1/auth/token``: per address across identities, per identity across
addresses, 429 problem+json with ``Retry-After``.

The app runs in-process with its real database and real ``limits`` counters; each test client
has its own client address (``httpx.ASGITransport(client=...)``) so guesses can come from many
addresses. Budgets are per day (see test_hygiene.py: no window boundary inside a test run).
"""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from pathwise_devstack import testing
from pathwise_devstack.testing import service_client
from pathwise_gateway.app import create_app
from pathwise_gateway.edge.service.ratelimit import RateLimiter, address_key, identity_key
from pathwise_gateway.migrations import MIGRATIONS
from pathwise_gateway.settings import GatewaySettings

CLOSED = "http://127.0.0.1:9"
TOKEN = "/v1/auth/token"


def _settings(db: testing.TestDatabase, **overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {
        "database_url": db.url,
        "environment": "test",
        "profiles_url": CLOSED,
        "pathways_url": CLOSED,
        "assessment_url": CLOSED,
    }
    values.update(overrides)
    return GatewaySettings(**values)


class Gateway:
    """The gateway app, reachable from any client address."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._clients: dict[str, httpx.AsyncClient] = {}

    def at(self, address: str) -> httpx.AsyncClient:
        if address not in self._clients:
            transport = httpx.ASGITransport(app=self.app, client=(address, 40000))
            self._clients[address] = httpx.AsyncClient(
                transport=transport, base_url="http://gateway"
            )
        return self._clients[address]

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()


@asynccontextmanager
async def _gateway(settings: GatewaySettings) -> AsyncIterator[Gateway]:
    async with service_client(create_app, settings, MIGRATIONS) as client:
        gateway = Gateway(client.app)
        try:
            yield gateway
        finally:
            await gateway.close()


def _client_guess(client_id: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": client_id, "client_secret": "guess"}


def _login_guess(username: str, **extra: str) -> dict[str, str]:
    return {"grant_type": "password", "username": username, **extra}


def _assert_throttled(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 429
    assert 1 <= int(response.headers["retry-after"]) <= 24 * 3600
    assert response.headers["cache-control"] == "no-store"


async def test_one_address_guessing_many_client_ids_is_throttled(
    gateway_db: testing.TestDatabase,
) -> None:
    """The case reproduced on main: 40 client ids from one address were never throttled."""
    settings = _settings(gateway_db, rate_limit_token="5/day")
    async with _gateway(settings) as gw:
        statuses = [
            (await gw.at("203.0.113.10").post(TOKEN, data=_client_guess(f"sis-{n}"))).status_code
            for n in range(40)
        ]
        assert statuses[:5] == [401] * 5
        assert statuses[5:] == [429] * 35
        _assert_throttled(await gw.at("203.0.113.10").post(TOKEN, data=_client_guess("new")))
        # Another address has its own budget.
        assert (await gw.at("203.0.113.11").post(TOKEN, data=_client_guess("x"))).status_code == 401


async def test_one_address_trying_many_usernames_is_throttled(
    gateway_db: testing.TestDatabase,
) -> None:
    settings = _settings(gateway_db, rate_limit_token="5/day")
    async with _gateway(settings) as gw:
        statuses = [
            (await gw.at("203.0.113.20").post(TOKEN, data=_login_guess(f"u{n}"))).status_code
            for n in range(40)
        ]
        # Before the limit the login fails some other way (profiles is unreachable here).
        assert 429 not in statuses[:5]
        assert statuses[5:] == [429] * 35


async def test_one_client_id_from_many_addresses_is_throttled(
    gateway_db: testing.TestDatabase,
) -> None:
    settings = _settings(gateway_db, rate_limit_token="1000/day", rate_limit_token_identity="5/day")
    async with _gateway(settings) as gw:
        statuses = [
            (await gw.at(f"198.51.100.{n}").post(TOKEN, data=_client_guess("sis"))).status_code
            for n in range(1, 41)
        ]
        assert statuses[:5] == [401] * 5
        assert statuses[5:] == [429] * 35
        last = await gw.at("198.51.100.200").post(TOKEN, data=_client_guess("sis"))
        _assert_throttled(last)
        # The throttle is on that client id only: another one is still answered.
        other = await gw.at("198.51.100.200").post(TOKEN, data=_client_guess("lms"))
        assert other.status_code == 401


async def test_one_username_from_many_addresses_is_throttled(
    gateway_db: testing.TestDatabase,
) -> None:
    """A client id the password grant ignores does not buy the username a fresh budget."""
    settings = _settings(gateway_db, rate_limit_token="1000/day", rate_limit_token_identity="3/day")
    async with _gateway(settings) as gw:
        for n in range(3):
            guess = _login_guess("teacher-01", client_id=str(uuid.uuid4()))
            assert (await gw.at(f"192.0.2.{n + 1}").post(TOKEN, data=guess)).status_code != 429
        guess = _login_guess("teacher-01", client_id=str(uuid.uuid4()))
        _assert_throttled(await gw.at("192.0.2.99").post(TOKEN, data=guess))
        # Case or spaces do not make a new identity.
        _assert_throttled(await gw.at("192.0.2.98").post(TOKEN, data=_login_guess("Teacher-01 ")))


async def test_ipv6_addresses_count_by_their_64(gateway_db: testing.TestDatabase) -> None:
    settings = _settings(gateway_db, rate_limit_token="3/day")
    async with _gateway(settings) as gw:
        for n in range(3):
            answer = await gw.at(f"2001:db8:1:2::{n + 1:x}").post(TOKEN, data=_client_guess("a"))
            assert answer.status_code == 401
        _assert_throttled(await gw.at("2001:db8:1:2:ffff::9").post(TOKEN, data=_client_guess("b")))
        assert (
            await gw.at("2001:db8:1:3::1").post(TOKEN, data=_client_guess("c"))
        ).status_code == 401


async def test_longer_windows_lengthen_the_wait(gateway_db: testing.TestDatabase) -> None:
    """Several windows per budget: past the long one, Retry-After is beyond the short one."""
    settings = _settings(gateway_db, rate_limit_token="1000/day;3/month")
    async with _gateway(settings) as gw:
        for n in range(3):
            answer = await gw.at("203.0.113.30").post(TOKEN, data=_client_guess(f"c{n}"))
            assert answer.status_code == 401
        refused = await gw.at("203.0.113.30").post(TOKEN, data=_client_guess("c9"))
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) > 24 * 3600


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:aa:bb:1:2:3:4", "2001:db8:aa:bb::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("testclient", "testclient"),
    ],
)
def test_address_key(address: str, key: str) -> None:
    assert address_key(address) == key


def test_identity_key_folds_case_and_space() -> None:
    assert identity_key(" Admin-District ") == identity_key("admin-district")


def test_refused_attempt_spends_no_other_budget() -> None:
    """Once the address budget refuses, the identity's budget is left alone (so an attacker
    throttled at one address does not also lock the identity out for everyone)."""
    limiter = RateLimiter("10/day", "10/day", "1/day", token_identity="2/day")
    assert limiter.hit_token_endpoint("192.0.2.1", "client:sis").allowed
    assert not limiter.hit_token_endpoint("192.0.2.1", "client:sis").allowed
    assert not limiter.hit_token_endpoint("192.0.2.1", "client:sis").allowed
    assert limiter.hit_token_endpoint("192.0.2.2", "client:sis").allowed
    assert not limiter.hit_token_endpoint("192.0.2.3", "client:sis").allowed
