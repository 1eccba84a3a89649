"""Idle connections between our services: the caller gives one up before the service closes it.

With both sides at 5 s (httpx's and uvicorn's defaults), a call sent on a connection the service
was closing at that moment failed ("Server disconnected", "Can not write request body"): in the
core-loop benchmark, a burst of the gateway's access checks to profiles answered 503. These
check every place that sets either side.
"""

import re
from pathlib import Path

import aiohttp
import pytest

from pathwise_devstack import forked, stack
from pathwise_gateway.proxy.service.upstreams import _forwarding_session, _httpx_transport_client
from pathwise_shared.http import (
    CLIENT_KEEP_ALIVE_SECONDS,
    SERVER_KEEP_ALIVE_SECONDS,
    create_http_client,
)

ROOT = Path(__file__).resolve().parents[1]


def test_the_client_gives_up_well_before_the_server() -> None:
    # A second of margin: the server's timer starts when it has sent the answer, the client's
    # when it has read it, and a loaded event loop may be late by a fraction of a second.
    assert CLIENT_KEEP_ALIVE_SECONDS <= SERVER_KEEP_ALIVE_SECONDS - 1


async def test_every_client_of_our_services_uses_the_clients_keep_alive() -> None:
    client = create_http_client("http://127.0.0.1:1")
    inner = client._transport._async_transport  # type: ignore[attr-defined]  # the retry wrapper's
    assert inner.limits.keepalive_expiry == CLIENT_KEEP_ALIVE_SECONDS
    await client.aclose()
    httpx_only = _httpx_transport_client("http://127.0.0.1:1", 5.0)
    pool = httpx_only._transport._pool  # type: ignore[attr-defined]
    assert pool._keepalive_expiry == CLIENT_KEEP_ALIVE_SECONDS
    await httpx_only.aclose()
    session = _forwarding_session(5.0)
    connector = session.connector
    assert isinstance(connector, aiohttp.TCPConnector)
    assert connector._keepalive_timeout == CLIENT_KEEP_ALIVE_SECONDS
    await session.close()


@pytest.mark.parametrize(
    "source",
    [ROOT / "deploy" / "Dockerfile", Path(stack.__file__)],
    ids=["container", "make-run-subprocess"],
)
def test_every_way_a_service_is_served_sets_the_servers_keep_alive(source: Path) -> None:
    text = source.read_text()
    given = re.findall(r"--timeout-keep-alive[\"', ]+(?:str\()?([\w.]+)", text)
    assert given, f"{source.name} starts uvicorn without --timeout-keep-alive"
    assert all(v in (str(SERVER_KEEP_ALIVE_SECONDS), "SERVER_KEEP_ALIVE_SECONDS") for v in given)


def test_the_forked_services_set_the_servers_keep_alive() -> None:
    assert forked.UVICORN_OPTIONS["timeout_keep_alive"] == SERVER_KEEP_ALIVE_SECONDS
