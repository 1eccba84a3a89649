"""The other services assessment calls: profiles (planning profile, a user's schools, a learner's
goal) and pathways (skill codes).

Wired with ``pathwise_shared.calls.ServiceCallers`` (one shared client per upstream, closed
together) at start-up; the ``Upstreams`` on ``app.state.upstreams`` adds what assessment asks of
them (and the schools cache). Routers get it through ``api.deps.UpstreamsDep``.
"""

import uuid
from collections.abc import Sequence
from typing import Any

import httpx
from fastapi import FastAPI

from pathwise_shared.auth import Principal
from pathwise_shared.calls import SchoolDirectory, ServiceCaller, ServiceCallers
from pathwise_shared.problems import NotFound, Problem, ServiceUnavailable, UnprocessableContent

__all__ = ["Upstreams", "close_upstreams", "open_upstreams"]

_RETRY = {"Retry-After": "5"}
# A user's schools change with the roster (rarely): 30 s of cache spares a profiles round trip on
# every edit by the same admin and bounds how long a school admin who left keeps their rights.
SCHOOLS_CACHE_SECONDS = 30.0


class Upstreams:
    def __init__(
        self,
        profiles: ServiceCaller,
        pathways: ServiceCaller,
        schools_cache_seconds: float = SCHOOLS_CACHE_SECONDS,
    ) -> None:
        self.profiles = profiles
        self.pathways = pathways
        # The calling user's schools (content ownership), cached briefly.
        self.school_ids = SchoolDirectory(profiles, schools_cache_seconds)

    async def planning_profile(self, principal: Principal, learner_id: uuid.UUID) -> dict[str, Any]:
        body = await self.profiles.json(
            "GET", f"/internal/learners/{learner_id}/planning-profile", principal
        )
        if not isinstance(body, dict):
            raise ServiceUnavailable(
                "The profiles service answered the planning profile in an unexpected shape.",
                slug="profiles-unavailable",
                headers=_RETRY,
            )
        return body

    async def learner_goal(
        self, principal: Principal, learner_id: uuid.UUID, goal_id: uuid.UUID
    ) -> dict[str, Any]:
        """The learner's goal as profiles has it now (status, title, target skills), asked in the
        caller's name: a goal of another learner or district is 404 ``goal-not-found``, and
        profiles not answering is a 503 (a goal's completion is never assumed)."""
        try:
            body = await self.profiles.json(
                "GET", f"/internal/learners/{learner_id}/goals/{goal_id}", principal
            )
        except ServiceUnavailable as exc:
            raise ServiceUnavailable(
                "The goal cannot be checked right now: the profiles service did not answer.",
                slug="profiles-unavailable",
                headers=_RETRY,
            ) from exc
        except Problem as exc:
            if exc.status_code == 404:
                raise NotFound("No such goal for this learner.", slug="goal-not-found") from exc
            raise ServiceUnavailable(
                f"The goal cannot be checked right now: profiles answered {exc.status_code}.",
                slug="profiles-unavailable",
                headers=_RETRY,
            ) from exc
        if (
            not isinstance(body, dict)
            or body.get("id") != str(goal_id)
            or body.get("learner_id") != str(learner_id)
            or not isinstance(body.get("skill_codes"), list)
            or not isinstance(body.get("title"), str)
        ):
            raise ServiceUnavailable(
                "The profiles service answered the goal in an unexpected shape.",
                slug="profiles-unavailable",
                headers=_RETRY,
            )
        return body

    async def require_known_skills(self, principal: Principal, codes: Sequence[str]) -> None:
        """Refuse (422) skill codes pathways does not know; a pathways outage is a 503."""
        wanted = sorted(set(codes))
        try:
            body = await self.pathways.json(
                "POST", "/internal/skills/resolve", principal, json={"codes": wanted}
            )
        except ServiceUnavailable as exc:
            raise ServiceUnavailable(
                "Skill codes cannot be checked right now: the pathways service did not answer.",
                slug="skills-unavailable",
                headers=_RETRY,
            ) from exc
        except Problem as exc:
            raise ServiceUnavailable(
                f"Skill codes cannot be checked right now: pathways answered {exc.status_code}.",
                slug="skills-unavailable",
                headers=_RETRY,
            ) from exc
        unknown = body.get("unknown") if isinstance(body, dict) else None
        if not isinstance(unknown, list):
            raise ServiceUnavailable(
                "Skill codes cannot be checked right now: pathways answered an unexpected shape.",
                slug="skills-unavailable",
                headers=_RETRY,
            )
        if unknown:
            names = ", ".join(sorted(str(u) for u in unknown))
            raise UnprocessableContent(
                f"Unknown skill codes: {names}.", slug="unknown-skill", unknown=sorted(unknown)
            )


def open_upstreams(app: FastAPI, clients: dict[str, httpx.AsyncClient] | None = None) -> Upstreams:
    """``clients`` replaces the HTTP client of an upstream (in-process apps in tests)."""
    settings = app.state.settings
    callers = ServiceCallers(
        {"profiles": settings.profiles_url, "pathways": settings.pathways_url},
        secret=settings.internal_token_secret.get_secret_value(),
        ttl_seconds=settings.internal_token_ttl_seconds,
        timeout=settings.http_timeout_seconds,
        given=clients,
    )
    upstreams = Upstreams(profiles=callers["profiles"], pathways=callers["pathways"])
    app.state.upstreams = upstreams
    app.state.service_callers = callers
    return upstreams


async def close_upstreams(app: FastAPI) -> None:
    callers: ServiceCallers | None = getattr(app.state, "service_callers", None)
    if callers is not None:
        await callers.aclose()
