"""Calls to profiles and assessment: the only place this service reads them.

The callers come from ``pathwise_shared.calls.ServiceCallers`` (the one way every service wires
its calls to the others, built in ``app.py``); this module only knows the paths and the shapes.
"""

import time
import uuid
from collections.abc import Sequence
from typing import Any

from pathwise_shared.auth import Principal
from pathwise_shared.calls import ServiceCallers
from pathwise_shared.problems import Problem, ServiceUnavailable

__all__ = ["SCHOOLS_CACHE_SECONDS", "Upstream"]

_RETRY = {"Retry-After": "5"}
# A user's schools change with the roster (rarely): 30 s of cache spares a profiles round trip on
# every edit by the same admin and bounds how long a school admin who left keeps their rights.
SCHOOLS_CACHE_SECONDS = 30.0
_SCHOOLS_CACHE_MAX = 10_000


class Upstream:
    def __init__(
        self, callers: ServiceCallers, schools_cache_seconds: float = SCHOOLS_CACHE_SECONDS
    ) -> None:
        self.callers = callers
        self.profiles = callers["profiles"]
        self.assessment = callers["assessment"]
        self._schools_ttl = schools_cache_seconds
        self._schools: dict[tuple[uuid.UUID, uuid.UUID], tuple[float, tuple[uuid.UUID, ...]]] = {}

    async def school_ids(self, principal: Principal) -> tuple[uuid.UUID, ...]:
        """The calling user's schools, from profiles (``/internal/principals/resolve``).

        A user profiles does not know has none (404); a profiles outage is a 503, never a guess:
        ownership decides who may change content.
        """
        district_id, user_id = principal.require_district(), principal.user_id
        if user_id is None:
            return ()
        key = (district_id, user_id)
        hit = self._schools.get(key)
        if hit is not None and time.monotonic() - hit[0] < self._schools_ttl:
            return hit[1]
        try:
            body = await self.profiles.json(
                "POST", "/internal/principals/resolve", principal, json={"user_id": str(user_id)}
            )
        except ServiceUnavailable as exc:
            raise ServiceUnavailable(
                "Content ownership cannot be checked right now: profiles did not answer.",
                slug="profiles-unavailable",
                headers=_RETRY,
            ) from exc
        except Problem as exc:
            if exc.status_code != 404:
                raise ServiceUnavailable(
                    "Content ownership cannot be checked right now: profiles answered "
                    f"{exc.status_code}.",
                    slug="profiles-unavailable",
                    headers=_RETRY,
                ) from exc
            body = {"school_ids": []}
        raw = body.get("school_ids") if isinstance(body, dict) else None
        if not isinstance(raw, list):
            raise ServiceUnavailable(
                "Content ownership cannot be checked right now: profiles answered an unexpected "
                "shape.",
                slug="profiles-unavailable",
                headers=_RETRY,
            )
        schools = tuple(uuid.UUID(str(s)) for s in raw)
        if len(self._schools) >= _SCHOOLS_CACHE_MAX:
            self._schools.clear()
        self._schools[key] = (time.monotonic(), schools)
        return schools

    async def planning_profile(self, principal: Principal, learner_id: uuid.UUID) -> dict[str, Any]:
        body: dict[str, Any] = await self.profiles.json(
            "GET", f"/internal/learners/{learner_id}/planning-profile", principal
        )
        return body

    async def hidden_parts(self, principal: Principal, learner_id: uuid.UUID) -> frozenset[str]:
        body = await self.profiles.json(
            "GET", f"/internal/learners/{learner_id}/disclosure", principal
        )
        return frozenset(str(part) for part in (body or {}).get("hidden", []))

    async def class_learners(self, principal: Principal, class_id: uuid.UUID) -> dict[str, Any]:
        body: dict[str, Any] = await self.profiles.json(
            "GET", f"/internal/classes/{class_id}/learners", principal
        )
        return body

    async def mastery(self, principal: Principal, learner_id: uuid.UUID) -> list[dict[str, Any]]:
        body = await self.assessment.json(
            "GET", f"/internal/learners/{learner_id}/mastery", principal
        )
        skills: list[dict[str, Any]] = (body or {}).get("skills", [])
        return skills

    async def mastery_query(
        self,
        principal: Principal,
        learner_ids: Sequence[uuid.UUID],
        skill_codes: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        payload: dict[str, Any] = {"learner_ids": [str(i) for i in learner_ids]}
        if skill_codes:
            payload["skill_codes"] = list(skill_codes)
        body = await self.assessment.json(
            "POST", "/internal/mastery/query", principal, json=payload
        )
        items: list[dict[str, Any]] = (body or {}).get("items", [])
        return items

    async def aclose(self) -> None:
        """Close the HTTP clients the callers made (not the ones given to them)."""
        await self.callers.aclose()
