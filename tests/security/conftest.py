"""Fixtures of the security suite (``make test-security``; not part of ``make test``).

One stack for the whole suite: the four real services on loopback ports with the demo district of
``make run`` (district A, Riverside Unified) and the small district B (Lakeside Unified,
``pathwise_devstack.testing.SECOND_DISTRICT``), on SQLite or, with ``PATHWISE_TEST_DATABASE=
postgresql``, PostgreSQL. Callers log in through the real gateway: users by the development login,
integration clients by the client-credentials grant.
"""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pathwise_devstack.stack import Stack
from pathwise_devstack.testing import start_stack


@pytest.fixture(scope="session")
def security_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # With make run's webhook receiver: district A's demo client then has a webhook endpoint
    # that really delivers, so the probe has an endpoint and deliveries of A to point B at.
    directory = tmp_path_factory.mktemp("security")
    with start_stack(directory, second_district=True, receiver=True) as running:
        yield running


@pytest.fixture(scope="session")
def gateway(security_stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=security_stack.config.url("gateway"), timeout=30.0) as client:
        yield client


@pytest.fixture(scope="session")
def openapi(gateway: httpx.Client) -> dict[str, Any]:
    """The gateway's merged OpenAPI document: what both tests are driven by."""
    answer = gateway.get("/openapi.json")
    assert answer.status_code == 200, answer.text
    document: dict[str, Any] = answer.json()
    return document
