"""Aggregated views: several services' answers in one call, fetched concurrently.

A part whose service is unavailable (down, failing, too slow, circuit open) is left out and named
in ``degraded``; the view still answers 200 with what came. A part the caller may not see (the
owning operation's route rule or the service refuses it) is left out and named in ``withheld``.
The object-level check runs once, before anything is fetched, so nothing is fetched for a caller
who may not see the learner or class at all.
"""

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from pathwise_gateway.aggregates.domain import (
    Calibration,
    LearnerMastery,
    SkillStat,
    calibrate,
    per_learner,
    per_skill,
    summarize_learner,
)
from pathwise_gateway.proxy.service.gateway import Gateway
from pathwise_gateway.proxy.service.upstreams import Upstream, failure_reason
from pathwise_shared.auth import Principal
from pathwise_shared.problems import Problem, ServiceUnavailable

__all__ = ["ClassDashboard", "LearnerOverview", "class_dashboard", "learner_overview"]

# Statuses that mean "the service could not answer", as opposed to "it answered no".
_UNAVAILABLE = frozenset({502, 503, 504})


@dataclass
class Parts:
    degraded: list[str] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)

    def miss(self, name: str, exc: Problem) -> None:
        (self.degraded if exc.status_code in _UNAVAILABLE else self.withheld).append(name)


@dataclass(frozen=True)
class LearnerOverview:
    learner_id: uuid.UUID
    profile: dict[str, Any] | None
    pathway: dict[str, Any] | None
    mastery: LearnerMastery | None
    parts: Parts
    calibration: list[Calibration] | None = None


@dataclass(frozen=True)
class DashboardLearner:
    id: str
    display_name: str | None
    grade: str | None
    flags: list[dict[str, Any]]
    mastery: dict[str, float]


@dataclass(frozen=True)
class ClassDashboard:
    class_id: uuid.UUID
    school_id: str | None
    learners: list[DashboardLearner]
    skills: list[SkillStat]
    groups: dict[str, Any] | None
    parts: Parts


async def _public_part(
    gateway: Gateway, principal: Principal, path: str, request_id: str, query: str = ""
) -> dict[str, Any] | None:
    """A public GET's JSON object; None when the service has nothing (404); a Problem when the
    caller may not see it (403) or the service is unavailable (503/504)."""
    answer = await gateway.fetch(principal, path, request_id, query)
    if answer.status == 404:
        return None
    if answer.status == 403:
        raise Problem("Withheld by the owning service.", status=403)
    if answer.status != 200:
        raise ServiceUnavailable(f"{path} answered {answer.status}.")
    body = _json_object(answer.body)
    if body is None:
        raise ServiceUnavailable(f"{path} gave no JSON object.")
    return body


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


async def _internal(
    upstream: Upstream, method: str, path: str, principal: Principal, **kwargs: Any
) -> Any:
    """An internal call through the upstream's circuit breaker."""
    breaker = upstream.breaker
    if not breaker.allow():
        raise ServiceUnavailable(
            f"The {upstream.name} service is unavailable.",
            headers={"Retry-After": str(breaker.retry_after())},
        )
    try:
        response = await upstream.caller.request(method, path, principal, **kwargs)
    except ServiceUnavailable as exc:  # no answer at all: refused, reset, timed out
        breaker.record_failure(failure_reason(exc))
        raise
    # Only an answer saying the service itself is unavailable counts (proxy/domain/breaker.py).
    breaker.record_answer(response.status_code, response.headers, response.content)
    return upstream.caller.answer(response)


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


_CALIBRATION_ROLES = ("teacher", "school_admin", "district_admin")


async def _nothing() -> None:
    return None


async def _settle(name: str, parts: Parts, pending: Any) -> Any:
    try:
        return await pending
    except Problem as exc:
        parts.miss(name, exc)
        return None


async def learner_overview(
    gateway: Gateway, principal: Principal, learner_id: uuid.UUID, request_id: str
) -> LearnerOverview:
    base = f"/v1/learners/{learner_id}"
    parts = Parts()
    # The calibration signal is for the learner's teachers and admins (docs/profiles.md,
    # "Reflections"); profiles decides again whether they may read the learner's confidence.
    staff = principal.is_system or principal.has_role(*_CALIBRATION_ROLES)
    confidence_part = (
        _settle(
            "calibration", parts, _public_part(gateway, principal, f"{base}/confidence", request_id)
        )
        if staff
        else _nothing()
    )
    profile, pathway, mastery, confidence = await asyncio.gather(
        _settle("profile", parts, _public_part(gateway, principal, f"{base}/profile", request_id)),
        _settle("pathway", parts, _public_part(gateway, principal, f"{base}/pathway", request_id)),
        _settle("mastery", parts, _public_part(gateway, principal, f"{base}/mastery", request_id)),
        confidence_part,
    )
    summary = None
    if isinstance(mastery, dict) and isinstance(mastery.get("skills"), list):
        summary = summarize_learner(mastery["skills"])
    # Null for everyone else without being named in ``withheld``: a staff-only field, like the
    # profile's ``restrictions``. With mastery degraded it is null too (nothing to compare).
    calibration = None
    if staff and summary is not None and isinstance(confidence, dict):
        calibration = calibrate(confidence.get("skills") or [], summary.skills)
    gateway.audit.record(
        principal,
        operation="getLearnerOverview",
        action="read",
        method="GET",
        path=f"{base}/overview",
        status=200,
        request_id=request_id,
        learner_id=learner_id,
    )
    return LearnerOverview(learner_id, profile, pathway, summary, parts, calibration)


async def class_dashboard(
    gateway: Gateway, principal: Principal, class_id: uuid.UUID, request_id: str
) -> ClassDashboard:
    parts = Parts()
    profiles = gateway.upstreams["profiles"]
    base = f"/v1/classes/{class_id}"
    # A class never grouped is pathways' 404: ``groups`` is then null without being degraded.
    roster, insights, groups = await asyncio.gather(
        _settle(
            "roster",
            parts,
            _internal(profiles, "GET", f"/internal/classes/{class_id}/learners", principal),
        ),
        _settle("flags", parts, _public_part(gateway, principal, f"{base}/insights", request_id)),
        _settle("groups", parts, _public_part(gateway, principal, f"{base}/groups", request_id)),
    )
    listed = roster.get("learners") if isinstance(roster, dict) else None
    learners = [row for row in listed or [] if isinstance(row, dict) and "id" in row]
    rows: list[Any] = []
    if learners:
        answer = await _settle(
            "mastery",
            parts,
            _internal(
                gateway.upstreams["assessment"],
                "POST",
                "/internal/mastery/query",
                principal,
                json={"learner_ids": [str(row["id"]) for row in learners]},
            ),
        )
        if isinstance(answer, dict) and isinstance(answer.get("items"), list):
            rows = answer["items"]
    flags: dict[str, list[dict[str, Any]]] = {}
    if isinstance(insights, dict):
        for entry in insights.get("learners") or []:
            if isinstance(entry, dict) and isinstance(entry.get("flags"), list):
                flags[str(entry.get("learner_id"))] = entry["flags"]
    by_learner = per_learner(rows)
    # One entry per learner shown, so a guardian's "who looked at my child" includes dashboards.
    shown: list[dict[str, Any] | None] = list(learners) or [None]
    for row in shown:
        gateway.audit.record(
            principal,
            operation="getClassDashboard",
            action="read",
            method="GET",
            path=f"/v1/classes/{class_id}/dashboard",
            status=200,
            request_id=request_id,
            class_id=class_id,
            learner_id=_uuid(row["id"]) if row else None,
        )
    school = roster.get("school_id") if isinstance(roster, dict) else None
    return ClassDashboard(
        class_id=class_id,
        school_id=str(school) if school else None,
        learners=[
            DashboardLearner(
                id=str(row["id"]),
                display_name=row.get("display_name"),
                grade=row.get("grade"),
                flags=flags.get(str(row["id"]), []),
                mastery=by_learner.get(str(row["id"]), {}),
            )
            for row in learners
        ],
        skills=per_skill(rows),
        groups=groups,
        parts=parts,
    )
