"""Calls to profiles and assessment: the only place this service reads them.

The callers come from ``pathwise_shared.calls.ServiceCallers`` (the one way every service wires
its calls to the others, built in ``app.py``); this module only knows the paths and the shapes.
"""

import uuid
from collections.abc import Sequence
from typing import Any

from pathwise_shared.auth import Principal
from pathwise_shared.calls import SchoolDirectory, ServiceCallers

__all__ = ["SCHOOLS_CACHE_SECONDS", "Upstream"]

_RETRY = {"Retry-After": "5"}
# A user's schools change with the roster (rarely): 30 s of cache spares a profiles round trip on
# every edit by the same admin and bounds how long a school admin who left keeps their rights.
SCHOOLS_CACHE_SECONDS = 30.0


class Upstream:
    def __init__(
        self, callers: ServiceCallers, schools_cache_seconds: float = SCHOOLS_CACHE_SECONDS
    ) -> None:
        self.callers = callers
        self.profiles = callers["profiles"]
        self.assessment = callers["assessment"]
        # The calling user's schools (content ownership), cached briefly.
        self.school_ids = SchoolDirectory(self.profiles, schools_cache_seconds)

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

    async def placements(self, principal: Principal, learner_id: uuid.UUID) -> list[dict[str, Any]]:
        """The skills the learner's diagnostics placed, each with its evidence (latest first
        diagnostic per skill; docs/contracts.md)."""
        body = await self.assessment.json(
            "GET", f"/internal/learners/{learner_id}/placements", principal
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

    async def push_goal_progress(
        self, principal: Principal, learner_id: uuid.UUID, skills: list[dict[str, Any]]
    ) -> None:
        """Each goal skill's needed and done skills, for the profile's goal progress."""
        await self.profiles.json(
            "PUT",
            f"/internal/learners/{learner_id}/goal-progress",
            principal,
            json={"skills": skills},
        )

    async def signals(
        self, principal: Principal, learner_ids: Sequence[uuid.UUID]
    ) -> list[dict[str, Any]]:
        """Evidence numbers per learner for the early warnings (assessment's
        ``POST /internal/signals``), one call for many learners."""
        body = await self.assessment.json(
            "POST",
            "/internal/signals",
            principal,
            json={"learner_ids": [str(i) for i in learner_ids]},
        )
        learners: list[dict[str, Any]] = (body or {}).get("learners", [])
        return learners

    async def record_evidence(
        self, principal: Principal, learner_id: uuid.UUID, evidence: dict[str, Any]
    ) -> dict[str, Any]:
        """A step's scored evidence as mastery evidence (assessment's system-only
        ``POST /internal/learners/{id}/evidence``, idempotent on ``evidence_id``)."""
        body: dict[str, Any] = await self.assessment.json(
            "POST", f"/internal/learners/{learner_id}/evidence", principal, json=evidence
        )
        return body

    async def aclose(self) -> None:
        """Close the HTTP clients the callers made (not the ones given to them)."""
        await self.callers.aclose()
