"""405 + ``Allow`` on every path of the gateway's merged OpenAPI (its own routes and the ones it
forwards): any method a path does not serve is refused with the exact list of those it does.

HEAD and OPTIONS are not served on the API (no route declares them), so they are 405 as well
(CORS preflights are answered by the CORS middleware before routing, when origins are set)."""

import re
import uuid

import httpx

from pathwise_devstack.testing import dev_login

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


def _regex(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")


def test_every_path_refuses_unserved_methods_with_allow(gw: httpx.Client) -> None:
    headers = dev_login(gw, "admin-district")
    paths: dict[str, dict[str, object]] = gw.get("/openapi.json").json()["paths"]
    served = {
        template: {m.upper() for m in operations if m.upper() in METHODS}
        for template, operations in paths.items()
    }
    patterns = {template: _regex(template) for template in served}
    checked = 0
    for template in served:
        url = re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), template)
        # A concrete URL may match several templates (/x/{id} and /x/me): Allow is their union.
        allowed = set().union(*(served[t] for t, p in patterns.items() if p.match(url)))
        for method in METHODS:
            if method in allowed:
                continue
            answer = gw.request(method, url, headers=headers)
            assert answer.status_code == 405, (method, url, answer.status_code, answer.text)
            listed = {m.strip() for m in answer.headers["allow"].split(",")}
            assert listed == allowed, (method, url, listed, allowed)
            if method != "HEAD":
                assert answer.headers["content-type"] == "application/problem+json"
            checked += 1
    assert len(served) > 40 and checked > 100  # the merged document, not the gateway's alone
