"""A guardian's consent for an off-site activity, and the check every choice of an activity for a
learner goes through (docs/pathways.md, "Learning beyond the classroom")."""

import uuid
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.domain.beyond import needs_consent
from pathwise_pathways.models import ActivityConsent
from pathwise_pathways.repository import activities as activities_repo
from pathwise_pathways.repository import consents as repo
from pathwise_pathways.service.pathways.history import pathway_subject
from pathwise_shared.auth import Principal
from pathwise_shared.db import Database
from pathwise_shared.db.outbox import publish
from pathwise_shared.db.uow import roll_back_now, unit_of_work
from pathwise_shared.events import new_event
from pathwise_shared.problems import Conflict, Forbidden, NotFound, UnprocessableContent

__all__ = [
    "ConsentRequired",
    "ask_guardians",
    "checker",
    "give",
    "list_for",
    "require_consent",
    "withdraw",
]


class ConsentRequired(Conflict):
    """409 ``guardian-consent-required``, carrying what the guardians must be asked about."""

    def __init__(
        self, detail: str, district_id: uuid.UUID, learner_id: uuid.UUID, activity_id: uuid.UUID
    ) -> None:
        super().__init__(
            detail,
            slug="guardian-consent-required",
            activity_id=str(activity_id),
            learner_id=str(learner_id),
            missing="guardian_consent",
        )
        self.district_id = district_id
        self.learner_id = learner_id
        self.activity_id = activity_id


async def require_consent(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    activity_id: uuid.UUID,
    policy: str,
) -> None:
    """409 ``guardian-consent-required`` naming the activity when it needs a guardian's consent
    the learner does not have."""
    activity = await activities_repo.get_activity(session, district_id, activity_id)
    if activity is None or not needs_consent(
        activity.kind, activity.requires_guardian_consent, policy
    ):
        return
    if await repo.consent_for(session, district_id, learner_id, activity_id) is None:
        raise ConsentRequired(
            f"“{activity.title}” takes place off site and needs a guardian's consent first.",
            district_id,
            learner_id,
            activity_id,
        )


async def ask_guardians(
    db: Database, refused: ConsentRequired, *, refused_in: AsyncSession | None = None
) -> bool:
    """``consent.requested`` for the refused choice, once per learner and activity: the moment
    a guardian must act is when someone chose the activity for the learner and was refused for
    want of their consent (an activity merely on a choice board asks nobody). Its own unit of
    work: the refused request's transaction is rolled back with its 409. True when the
    guardians were asked now; False when they had been already (a retried choice).

    ``refused_in``, the refused request's session, is rolled back first (it would be anyway):
    its locks (the pathway's row; SQLite's one writer) must not wait on this write."""
    if refused_in is not None:
        await roll_back_now(refused_in)
    try:
        async with unit_of_work(db, write=True) as session:
            if not await repo.record_request(
                session, refused.district_id, refused.learner_id, refused.activity_id
            ):
                return False
            await publish(
                session,
                new_event(
                    "consent.requested",
                    district_id=refused.district_id,
                    subject=pathway_subject(refused.learner_id),
                    data={
                        "learner_id": str(refused.learner_id),
                        "activity_id": str(refused.activity_id),
                    },
                ),
            )
    except IntegrityError:
        # A concurrent refusal of the same choice recorded it first, and asked.
        return False
    return True


def checker(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, policy: str
) -> Callable[[uuid.UUID], Awaitable[None]]:
    async def check(activity_id: uuid.UUID) -> None:
        await require_consent(session, district_id, learner_id, activity_id, policy)

    return check


def _require_guardian(principal: Principal) -> None:
    # The gateway admits only guardians of this learner to these routes; checked here too.
    if not principal.has_role("guardian"):
        raise Forbidden("Only a guardian of the learner gives consent.", slug="guardian-only")


async def give(
    session: AsyncSession,
    principal: Principal,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    activity_id: uuid.UUID,
    note: str,
    policy: str,
) -> tuple[ActivityConsent, bool]:
    """(the consent, whether it is new): giving it twice answers the first."""
    _require_guardian(principal)
    activity = await activities_repo.get_activity(session, district_id, activity_id)
    if activity is None:
        raise UnprocessableContent("No such activity in your district.", slug="unknown-activity")
    if not needs_consent(activity.kind, activity.requires_guardian_consent, policy):
        raise UnprocessableContent(
            "This activity does not need a guardian's consent.", slug="consent-not-needed"
        )
    existing = await repo.consent_for(session, district_id, learner_id, activity_id)
    if existing is not None:
        return existing, False
    consent = ActivityConsent(
        district_id=district_id,
        learner_id=learner_id,
        activity_id=activity_id,
        given_by=principal.subject,
        note=note,
    )
    session.add(consent)
    await session.flush()
    return consent, True


async def withdraw(
    session: AsyncSession,
    principal: Principal,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    activity_id: uuid.UUID,
) -> None:
    """A guardian withdraws consent: the activity cannot be chosen again without it (a choice
    already made stays; the teacher sees the consents and decides)."""
    _require_guardian(principal)
    existing = await repo.consent_for(session, district_id, learner_id, activity_id)
    if existing is None:
        raise NotFound("No consent for this activity.", slug="consent-not-found")
    await session.delete(existing)
    await session.flush()


async def list_for(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID
) -> Sequence[ActivityConsent]:
    return await repo.consents_of(session, district_id, learner_id)
