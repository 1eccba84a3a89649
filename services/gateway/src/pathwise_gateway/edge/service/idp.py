"""Bearer JWTs of the district identity provider, verified against its JWKS.

Issuer, audience and expiry are required; the algorithms are pinned by settings (asymmetric only,
never ``none``), so a token cannot choose how it is checked. The key set is cached and fetched
again when a token names a key id we do not know (key rotation), at most every few seconds.
"""

import asyncio
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import httpx
import jwt

from pathwise_gateway.edge.domain.tokens import TokenError

__all__ = ["JwksVerifier"]

_MIN_REFETCH_SECONDS = 5.0


class JwksVerifier:
    def __init__(
        self,
        *,
        jwks_url: str,
        issuer: str,
        audience: str,
        algorithms: list[str],
        http: httpx.AsyncClient,
        cache_seconds: float = 300.0,
        leeway_seconds: int = 30,
    ) -> None:
        self.jwks_url = jwks_url
        self.issuer = issuer
        self.audience = audience
        self.algorithms = list(algorithms)
        self._http = http
        self._cache_seconds = cache_seconds
        self._leeway = leeway_seconds
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def _fetch(self) -> dict[str, Any]:
        parsed = urlparse(self.jwks_url)
        if parsed.scheme == "file":
            text = await asyncio.to_thread(Path(unquote(parsed.path)).read_text, "utf-8")
            data: Any = json.loads(text)
        else:
            response = await self._http.get(self.jwks_url)
            response.raise_for_status()
            data = response.json()
        if not isinstance(data, dict):
            raise ValueError("the JWKS is not a JSON object")
        return data

    async def _refresh(self, *, force: bool) -> None:
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            if self._keys and (
                age < _MIN_REFETCH_SECONDS or (not force and age < self._cache_seconds)
            ):
                return
            try:
                data = await self._fetch()
                key_set = jwt.PyJWKSet.from_dict(data)
            except (httpx.HTTPError, OSError, ValueError, jwt.PyJWKSetError) as exc:
                if self._keys:
                    return  # keep the last good keys while the provider is unreachable
                raise TokenError("The identity provider's keys are unavailable.") from exc
            self._keys = {k.key_id: k for k in key_set.keys if k.key_id}
            self._fetched_at = time.monotonic()

    async def _key_for(self, kid: str) -> jwt.PyJWK:
        if time.monotonic() - self._fetched_at >= self._cache_seconds or not self._keys:
            await self._refresh(force=False)
        if kid not in self._keys:
            await self._refresh(force=True)
        key = self._keys.get(kid)
        if key is None:
            raise TokenError("The token was signed with an unknown key.")
        return key

    async def verify(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise TokenError("The access token is malformed.") from exc
        alg = header.get("alg")
        if alg not in self.algorithms:
            raise TokenError("The token's algorithm is not accepted.")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenError("The token names no key id.")
        key = await self._key_for(kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=self.algorithms,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenError("The access token has expired.") from exc
        except jwt.InvalidTokenError as exc:
            raise TokenError("The access token is invalid.") from exc
        return claims
