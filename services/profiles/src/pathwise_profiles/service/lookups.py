"""Principals, planning profiles and class rosters for the other services."""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.domain.access_rules import decide
from pathwise_profiles.domain.profile import PARTS
from pathwise_profiles.domain.visibility import (
    Reader,
    reader_for,
    reader_for_class,
    visible_parts,
)
from pathwise_profiles.repository import lookups
from pathwise_profiles.schemas.internal import (
    ChildClass,
    ChildSchool,
    ClassLearner,
    ClassLearners,
    Disclosure,
    GuardianChild,
    GuardianChildren,
    LearnerGoal,
    PeopleNames,
    PeopleNamesRequest,
    PersonName,
    PlanningAccommodation,
    PlanningGoal,
    PlanningProfile,
    ResolvedPrincipal,
    ResolveRequest,
)
from pathwise_profiles.service.access import enforce
from pathwise_profiles.service.profiles import Policy
from pathwise_shared.auth import Principal
from pathwise_shared.db.engine import Database
from pathwise_shared.db.uow import StatementReader, one_statement_read
from pathwise_shared.problems import Conflict, Forbidden, NotFound
from pathwise_shared.timeutil import utcnow

__all__ = [
    "class_learners",
    "disclosure",
    "guardian_children",
    "learner_goal",
    "people_names",
    "planning_profile",
    "resolve_principal",
]


def _scope(principal: Principal) -> uuid.UUID | None:
    """The district a lookup is limited to: the caller's, or none for our own system jobs."""
    if principal.is_system:
        return None
    return principal.require_district()


async def resolve_principal(
    session: AsyncSession, principal: Principal, request: ResolveRequest
) -> ResolvedPrincipal:
    district = _scope(principal)
    if request.district_id is not None:
        if district is not None and request.district_id != district:
            raise NotFound("No such user.", slug="user-not-found")
        district = request.district_id
    if request.sourced_id is not None and not principal.is_system:
        raise Forbidden("Only the system resolves users by sourcedId.", slug="system-only")
    rows = await lookups.find_users(
        session,
        user_id=request.user_id,
        username=request.username,
        sourced_id=request.sourced_id,
        district_id=district,
    )
    if not rows:
        raise NotFound("No such user.", slug="user-not-found")
    if len(rows) > 1:
        raise Conflict(
            "This username exists in several districts: send district_id too.",
            slug="ambiguous-username",
        )
    user = rows[0]
    roles, schools = await lookups.roles_and_schools(session, [user["id"]])
    return ResolvedPrincipal(
        user_id=user["id"],
        district_id=user["district_id"],
        roles=roles[user["id"]],
        school_ids=schools[user["id"]],
        status=user["status"],
        display_name=f"{user['given_name']} {user['family_name']}".strip(),
    )


async def people_names(
    session: AsyncSession, principal: Principal, request: PeopleNamesRequest
) -> PeopleNames:
    """Display names and roles of users of the caller's district, for the gateway's audit
    log (names resolved when the log is read, so a renamed user shows their name of today)."""
    ids = list(dict.fromkeys(request.ids))
    rows = await lookups.people_by_id(session, ids, _scope(principal))
    roles, _ = await lookups.roles_and_schools(session, [row["id"] for row in rows])
    return PeopleNames(
        people=[
            PersonName(
                id=row["id"],
                display_name=f"{row['given_name']} {row['family_name']}".strip(),
                roles=roles[row["id"]],
                status=row["status"],
            )
            for row in rows
        ]
    )


async def learner_goal(
    session: AsyncSession, principal: Principal, learner_id: uuid.UUID, goal_id: uuid.UUID
) -> LearnerGoal:
    """A goal of the learner in the caller's district; another learner's or district's goal
    does not exist here (404)."""
    row = await lookups.goal_row(session, learner_id, goal_id, _scope(principal))
    if row is None:
        raise NotFound("No such goal for this learner.", slug="goal-not-found")
    return LearnerGoal(
        id=row["id"],
        learner_id=row["learner_id"],
        district_id=row["district_id"],
        title=row["title"],
        term=row["term"],
        skill_codes=row["skill_codes"],
        status=row["status"],
        completed_at=row["completed_at"],
    )


async def planning_profile(
    session: AsyncSession, principal: Principal, learner_id: uuid.UUID
) -> PlanningProfile:
    found = await lookups.planning_rows(session, learner_id, _scope(principal))
    if found is None:
        raise NotFound("No such learner in your district.", slug="learner-not-found")
    profile, goal_rows = found
    return PlanningProfile(
        learner_id=profile["learner_id"],
        district_id=profile["district_id"],
        grade=profile["grade"],
        interests=profile["interests"],
        preferred_formats=profile["preferred_formats"],
        languages=profile["home_languages"],
        english_learner=profile["english_learner"],
        pace=profile["pace"],
        accommodations=[
            PlanningAccommodation(term=a["term"], factor=a.get("factor"))
            for a in profile["accommodations"]
        ],
        goals=[
            PlanningGoal(
                id=g["id"],
                title=g["title"],
                term=g["term"],
                skill_codes=g["skill_codes"],
                target_date=g["target_date"],
                status=g["status"],
            )
            for g in goal_rows
        ],
    )


def _hidden(reader: Reader, restrictions: Any, sharing: Any, policy: Policy) -> list[str]:
    visible = visible_parts(
        reader,
        restrictions or {},
        sharing or {},
        learner_may_hide_from_teachers=policy.learner_may_hide_from_teachers,
    )
    return sorted(set(PARTS) - visible)


async def read_disclosure(
    db: Database, principal: Principal, learner_id: uuid.UUID, policy: Policy
) -> Disclosure:
    """``GET /internal/learners/{id}/disclosure``: :func:`disclosure` on a connection of its own
    for its one statement (as ``service.profiles.read_profile``, and for the same reason)."""
    async with one_statement_read(db) as conn:
        return await disclosure(conn, principal, learner_id, policy)


async def disclosure(
    session: StatementReader, principal: Principal, learner_id: uuid.UUID, policy: Policy
) -> Disclosure:
    """The parts of one learner the calling principal may not see, by the same rules (and the
    same relation from the access check) as ``GET /v1/learners/{id}/profile``."""
    relations, profile = await lookups.consent_with_facts(
        session, principal, learner_id, utcnow().date()
    )
    decision = enforce(decide(principal, "read", "learner", relations), "read", "learner")
    assert profile is not None  # enforce() answered 404 otherwise
    reader = reader_for(decision.reason)
    return Disclosure(
        learner_id=learner_id,
        reader=reader,
        hidden=_hidden(reader, profile["restrictions"], profile["sharing"], policy),
    )


async def class_learners(
    session: AsyncSession, principal: Principal, class_id: uuid.UUID, policy: Policy
) -> ClassLearners:
    row = await lookups.get_class(session, class_id, _scope(principal))
    if row is None:
        raise NotFound("No such class in your district.", slug="class-not-found")
    learners = await lookups.class_learners(session, class_id, utcnow().date())
    reader = reader_for_class(principal.kind, principal.roles)
    return ClassLearners(
        class_id=row["id"],
        district_id=row["district_id"],
        school_id=row["school_id"],
        learners=[
            ClassLearner(
                id=learner["id"],
                display_name=learner["display_name"],
                grade=learner["grade"],
                hidden=_hidden(reader, learner["restrictions"], learner["sharing"], policy),
            )
            for learner in learners
        ],
    )


async def guardian_children(session: AsyncSession, principal: Principal) -> GuardianChildren:
    """The calling user's children, by their active guardian links in their own district. Anyone
    who is not a guardian user (a client, the system, a teacher) has none: the list is the
    caller's own, never another user's, so there is nothing to ask for and nothing to refuse."""
    if principal.kind != "user" or principal.user_id is None or not principal.has_role("guardian"):
        return GuardianChildren(guardian_id=None, preferred_language=None, children=[])
    me, rows = await lookups.children_of(
        session, principal.user_id, principal.require_district(), utcnow().date()
    )
    if me is None:
        return GuardianChildren(guardian_id=None, preferred_language=None, children=[])
    return GuardianChildren(
        guardian_id=me["id"],
        preferred_language=me["preferred_language"],
        children=[
            GuardianChild(
                learner_id=row["learner_id"],
                display_name=row["display_name"],
                given_name=row["given_name"],
                grade=row["grade"],
                relationship=row["relationship"],
                schools=[ChildSchool(**school) for school in row["schools"]],
                classes=[ChildClass(**cls) for cls in row["classes"]],
            )
            for row in rows
        ],
    )
