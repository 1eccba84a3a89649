"""The guardian home (docs/gateway.md, "Guardian home"): a guardian's children and one child's
progress summary, composed from profiles, pathways and assessment.

The children come from profiles (``GET /internal/me/children``: the calling guardian's active
links in their district, and their preferred language). A summary is only for one of them: the
route's object-level check has already asked profiles whether the caller is a guardian of the
learner; the list is asked again here so that a user who is a guardian *and* staff (a teacher
who is also a parent) sees only their own children through this route, never a pupil.

The parts are fetched concurrently, each as the guardian (so every service applies the
learner's sharing and the staff's restrictions to them, as it would on its own route). A part
whose service is unavailable is null and named in ``degraded``; a part the child keeps from
their family (goals, reflections) is empty and named in ``withheld``; the answer is still 200.
"""

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote

from pathwise_gateway.aggregates.domain.family import (
    LABELS,
    CurrentStep,
    EvidenceItem,
    GoalMastery,
    SupportNote,
    Upcoming,
    choose_language,
    current_step,
    goal_mastery,
    recent_evidence,
    skill_titles,
    status_label,
    support_notes,
    upcoming,
)
from pathwise_gateway.aggregates.service import Parts, _internal, _public_part, _settle
from pathwise_gateway.proxy.service.gateway import Gateway
from pathwise_shared.auth import Principal
from pathwise_shared.problems import NotFound, ServiceUnavailable

__all__ = ["Children", "FamilySummary", "children", "family_summary"]

# How many of the newest shared reflections and portfolio artifacts the summary shows.
SHARED_ITEMS = 5
# The portfolio lists oldest first: its newest artifacts are on the last page. Pages of the
# largest size, at most this many (1000 artifacts; past that the newest are not reached).
PORTFOLIO_PAGES = 5
PAGE_SIZE = 200


@dataclass(frozen=True)
class Children:
    language: str
    children: list[dict[str, Any]]


@dataclass(frozen=True)
class FamilySummary:
    learner_id: uuid.UUID
    display_name: str
    language: str
    labels: dict[str, str]
    goals: list[dict[str, Any]] | None
    current_step: CurrentStep | None
    recent_evidence: list[EvidenceItem] | None
    mastery_by_goal: list[GoalMastery] | None
    support_notes: list[SupportNote] | None
    reflections: list[dict[str, Any]] | None
    portfolio: list[dict[str, Any]] | None
    upcoming: list[Upcoming] | None
    parts: Parts = field(default_factory=Parts)


async def _my_children(gateway: Gateway, principal: Principal) -> dict[str, Any]:
    # Without the list nothing can be shown safely: profiles down is a 503 for the whole call
    # (the object-level check needs profiles as well, so this is the same outage).
    answer = await _internal(
        gateway.upstreams["profiles"], "GET", "/internal/me/children", principal
    )
    if not isinstance(answer, dict) or not isinstance(answer.get("children"), list):
        raise ServiceUnavailable("Profiles gave no list of children.")
    return answer


def _child_row(raw: Any) -> dict[str, Any] | None:
    if not isinstance(raw, dict) or raw.get("learner_id") is None:
        return None
    return raw


async def children(gateway: Gateway, principal: Principal, request_id: str) -> Children:
    found = await _my_children(gateway, principal)
    rows = [row for row in map(_child_row, found["children"]) if row is not None]
    for row in rows:
        gateway.audit.record(
            principal,
            operation="listMyChildren",
            action="read",
            method="GET",
            path="/v1/me/children",
            status=200,
            request_id=request_id,
            learner_id=uuid.UUID(str(row["learner_id"])),
        )
    return Children(choose_language(found.get("preferred_language")), rows)


async def _newest_artifacts(
    gateway: Gateway, principal: Principal, path: str, request_id: str
) -> dict[str, Any]:
    """The portfolio's newest artifacts the caller may see (pathways shows a guardian only what
    the child shared with them), as one page."""
    kept: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(PORTFOLIO_PAGES):
        query = f"limit={PAGE_SIZE}" + (f"&cursor={quote(cursor)}" if cursor else "")
        page = await _public_part(gateway, principal, path, request_id, query)
        kept = (kept + _items(page))[-SHARED_ITEMS:]
        following = page.get("next_cursor") if isinstance(page, dict) else None
        if not isinstance(following, str) or not following:
            break
        cursor = following
    return {"items": kept[::-1]}


def _items(page: Any) -> list[dict[str, Any]]:
    items = page.get("items") if isinstance(page, dict) else None
    return [i for i in items or [] if isinstance(i, dict)]


def _reflection(row: dict[str, Any]) -> dict[str, Any]:
    # The child's own words and rating; teachers' replies stay between them and the child.
    return {
        "id": row.get("id"),
        "skill_code": row.get("skill_code"),
        "target_kind": row.get("target_kind"),
        "confidence": row.get("confidence"),
        "journal": row.get("journal"),
        "created_at": row.get("created_at"),
    }


def _artifact(row: dict[str, Any]) -> dict[str, Any]:
    # What the child made and shared; the file itself is one more call (its own route checks).
    return {
        "id": row.get("id"),
        "kind": row.get("kind"),
        "title": row.get("title"),
        "skill_codes": [c for c in row.get("skill_codes") or [] if isinstance(c, str)],
        "created_at": row.get("created_at"),
    }


def _goal(row: dict[str, Any], language: str) -> dict[str, Any]:
    return {
        "id": row.get("id"),
        "title": row.get("title"),
        "term": row.get("term"),
        "why": row.get("why"),
        "status": row.get("status"),
        "status_label": status_label(row.get("status"), language),
        "progress": row.get("progress"),
        "target_date": row.get("target_date"),
        "skill_codes": [c for c in row.get("skill_codes") or [] if isinstance(c, str)],
    }


async def family_summary(
    gateway: Gateway,
    principal: Principal,
    learner_id: uuid.UUID,
    request_id: str,
    today: date,
    days: int,
) -> FamilySummary:
    mine = await _my_children(gateway, principal)
    child = next(
        (
            row
            for row in map(_child_row, mine["children"])
            if row is not None and str(row["learner_id"]) == str(learner_id)
        ),
        None,
    )
    if child is None:
        # Not one of the caller's children: as unknown as another district's learner.
        raise NotFound("No such child of yours.", slug="learner-not-found", check="object")
    language = choose_language(mine.get("preferred_language"))
    parts = Parts()
    base = f"/v1/learners/{learner_id}"
    latest = f"limit={SHARED_ITEMS}"
    profile, pathway, mastery, flags, reflections, portfolio = await asyncio.gather(
        _settle("goals", parts, _public_part(gateway, principal, f"{base}/profile", request_id)),
        _settle("pathway", parts, _public_part(gateway, principal, f"{base}/pathway", request_id)),
        _settle("mastery", parts, _public_part(gateway, principal, f"{base}/mastery", request_id)),
        _settle(
            "support_notes",
            parts,
            _internal(
                gateway.upstreams["pathways"],
                "GET",
                f"/internal/learners/{learner_id}/support-flags",
                principal,
            ),
        ),
        _settle(
            "reflections",
            parts,
            _public_part(gateway, principal, f"{base}/reflections", request_id, latest),
        ),
        _settle(
            "portfolio",
            parts,
            _newest_artifacts(gateway, principal, f"{base}/portfolio", request_id),
        ),
    )
    name = str(child.get("given_name") or child.get("display_name") or "")
    titles = skill_titles(pathway)
    # The profile answers the goals the child shares with their family; none when they do not.
    profile_goals = profile.get("goals") if isinstance(profile, dict) else None
    goal_rows = [g for g in profile_goals or [] if isinstance(g, dict)]
    if isinstance(profile, dict) and profile_goals is None and "goals" not in parts.withheld:
        parts.withheld.append("goals")
    skills = mastery.get("skills") if isinstance(mastery, dict) else None
    mastery_ok = isinstance(skills, list)
    flag_rows = flags.get("flags") if isinstance(flags, dict) else None
    # A pathway never planned is pathways' 404: no step and nothing due, not an outage.
    pathway_ok = "pathway" not in parts.degraded
    goals_ok = "goals" not in parts.degraded
    gateway.audit.record(
        principal,
        operation="getFamilySummary",
        action="read",
        method="GET",
        path=f"/v1/me/children/{learner_id}/summary",
        status=200,
        request_id=request_id,
        learner_id=learner_id,
    )
    return FamilySummary(
        learner_id=learner_id,
        display_name=str(child.get("display_name") or name),
        language=language,
        labels=dict(LABELS[language]),
        goals=[_goal(g, language) for g in goal_rows] if goals_ok else None,
        current_step=current_step(pathway),
        recent_evidence=recent_evidence(skills or [], titles, language) if mastery_ok else None,
        mastery_by_goal=goal_mastery(goal_rows, skills or [], titles, language)
        if mastery_ok and goals_ok
        else None,
        support_notes=support_notes(flag_rows, name, titles, language)
        if isinstance(flag_rows, list)
        else None,
        reflections=[_reflection(r) for r in _items(reflections)]
        if "reflections" not in parts.degraded
        else None,
        portfolio=[_artifact(a) for a in _items(portfolio)]
        if "portfolio" not in parts.degraded
        else None,
        upcoming=upcoming(goal_rows, pathway, today, days, language)
        if pathway_ok and goals_ok
        else None,
        parts=parts,
    )
