"""Security headers on the gateway's answers: successes, errors (401, 404, 405, 413, 429) and
the docs (which must stay unframeable and still load Swagger UI / ReDoc from their CDNs)."""

import re
import uuid
from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx
import pytest

from pathwise_devstack import testing
from pathwise_devstack.testing import ServiceClient, service_client
from pathwise_gateway.app import create_app
from pathwise_gateway.migrations import MIGRATIONS
from pathwise_gateway.settings import GatewaySettings
from pathwise_shared.auth import Principal
from pathwise_shared.security_headers import API_CSP, DOCS_CSP

Bearer = Callable[[Principal], dict[str, str]]
DISTRICT = uuid.uuid4()


def assert_secured(response: httpx.Response, *, api: bool = True) -> None:
    headers = response.headers
    assert headers.get_list("x-content-type-options") == ["nosniff"], response.url
    assert headers.get_list("referrer-policy") == ["no-referrer"]
    assert headers.get_list("x-frame-options") == ["DENY"]
    csp = headers.get_list("content-security-policy")
    assert csp == [API_CSP if api else DOCS_CSP]
    assert "frame-ancestors 'none'" in csp[0]
    assert "strict-transport-security" not in headers  # not production
    if response.url.path.startswith(("/v1/", "/ims/oneroster/")):
        assert headers.get_list("cache-control") == ["no-store"], response.url


def _admin(user: Callable[..., Principal]) -> Principal:
    return user(DISTRICT, "district_admin")


async def test_success_and_error_answers_carry_the_headers(
    gateway: ServiceClient, bearer: Bearer, user: Callable[..., Principal]
) -> None:
    admin = bearer(_admin(user))
    client = bearer(
        Principal(
            subject=str(uuid.uuid4()),
            kind="client",
            district_id=DISTRICT,
            scopes=frozenset({"webhooks:manage"}),
        )
    )
    cases = [
        (await gateway.get("/v1/auth/me", headers=admin), 200),
        (await gateway.get("/v1/clients", headers=admin), 200),
        (await gateway.get("/v1/webhooks", headers=client), 200),
        (await gateway.get("/v1/auth/me"), 401),
        (await gateway.get("/v1/auth/me", headers={"Authorization": "Bearer nope"}), 401),
        (await gateway.get(f"/v1/webhooks/{uuid.uuid4()}", headers=client), 404),
        (await gateway.get("/no-such-page"), 404),
        (await gateway.delete("/v1/auth/me", headers=admin), 405),
        (await gateway.post("/v1/webhooks", headers=client, json={"url": 5}), 422),
        (await gateway.get("/v1/clients", headers=client), 403),
        (await gateway.get("/healthz"), 200),
        (await gateway.get("/openapi.json"), 200),
    ]
    for response, status in cases:
        assert response.status_code == status, (response.url, response.text)
        assert_secured(response)


async def test_token_answers_and_429_carry_the_headers(gateway_db: testing.TestDatabase) -> None:
    settings = GatewaySettings(
        database_url=gateway_db.url,
        environment="test",
        profiles_url="http://127.0.0.1:9",
        pathways_url="http://127.0.0.1:9",
        assessment_url="http://127.0.0.1:9",
        rate_limit_token="1/day",
        max_body_bytes=1024,
    )
    guess = {"grant_type": "client_credentials", "client_id": "sis", "client_secret": "x"}
    async with service_client(create_app, settings, MIGRATIONS) as gw:
        refused = await gw.post("/v1/auth/token", data=guess)
        assert refused.status_code == 401
        assert_secured(refused)
        throttled = await gw.post("/v1/auth/token", data=guess)
        assert throttled.status_code == 429
        assert_secured(throttled)
        too_big = await gw.post("/v1/webhooks", content=b"x" * 4096)
        assert too_big.status_code == 413
        assert_secured(too_big)


class _Assets(HTMLParser):
    """Every URL a docs page loads, by the CSP directive that governs it."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.found.append(("script-src", values["src"] or ""))
        if tag == "link" and values.get("href"):
            kind = "style-src" if values.get("rel") == "stylesheet" else "img-src"
            self.found.append((kind, values["href"] or ""))


def _directives(csp: str) -> dict[str, list[str]]:
    parts = (d.split() for d in csp.split(";") if d.strip())
    return {p[0]: p[1:] for p in parts}


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_docs_are_unframeable_and_their_assets_allowed(
    gateway: ServiceClient, path: str
) -> None:
    page = await gateway.get(path)
    assert page.status_code == 200
    assert_secured(page, api=False)
    policy = _directives(page.headers["content-security-policy"])
    assert policy["frame-ancestors"] == ["'none'"]
    parser = _Assets()
    parser.feed(page.text)
    assert parser.found, "the docs page loads its UI from somewhere"
    for directive, url in parser.found:
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
        assert origin in policy[directive], (directive, url)
    # The inline start-up script (Swagger UI) or styles (ReDoc) may run.
    if re.search(r"<script>\s*\S", page.text):
        assert "'unsafe-inline'" in policy["script-src"]
    # "Try it out" calls this origin.
    assert "'self'" in policy["connect-src"]
