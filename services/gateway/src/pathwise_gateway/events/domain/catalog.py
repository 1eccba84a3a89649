"""The event catalog: every event type, what it means, and the JSON Schema of its ``data``.

The catalog is also the allow-list of what leaves Pathwise: a webhook body carries only the
``data`` fields its type declares here (:func:`thin_data`), so a field a service adds later (or one
that must never leave, such as a learner's accommodations) is not sent until it is catalogued.
"""

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = [
    "CATALOG",
    "INTERNAL_SUBSCRIPTIONS",
    "EventType",
    "Subscription",
    "WebhookEnvelope",
    "becomes_mastered",
    "catalog_entries",
    "envelope_schema",
    "internal_subscribers",
    "is_known_type",
    "subscribers_of",
    "thin_data",
]


class _Data(BaseModel):
    model_config = ConfigDict(extra="ignore")


class LearnerRef(_Data):
    learner_id: uuid.UUID


class LearnerDeleted(_Data):
    """Removed from the roster (``learner_id``), or erased by a deletion job: then no id, only
    the job's ``deletion_id``, the learner's ``tombstone`` and the job's ``origin`` (a district
    administrator's request, or the district's retention policy; docs/privacy.md "Deletion")."""

    learner_id: uuid.UUID | None = None
    deletion_id: uuid.UUID | None = None
    tombstone: str | None = Field(None, max_length=64)
    origin: Literal["request", "retention"] | None = None


class LearnerCreated(LearnerRef):
    school_id: uuid.UUID | None = None
    grade: str | None = Field(None, max_length=20)


class LearnerChanged(LearnerRef):
    fields: list[str] = Field(
        default_factory=list, description="Names of the fields that changed (never their values)"
    )


class ProfileChanged(LearnerRef):
    parts: list[str] = Field(
        default_factory=list,
        description="Names of the profile parts that changed (never their content)",
    )
    version: int | None = Field(None, description="The profile's version after the change")


# issue 16, goals and reflections (profiles) -----------------------------------------------


class GoalCompleted(LearnerRef):
    goal_id: uuid.UUID
    skill_codes: list[str] = Field(default_factory=list, description="The goal's skill codes")


class ReflectionAdded(LearnerRef):
    reflection_id: uuid.UUID
    target_kind: Literal["step", "skill", "goal"]
    step_id: uuid.UUID | None = None
    skill_code: str | None = Field(None, max_length=40)
    goal_id: uuid.UUID | None = None


# issue 16, student voice surveys (profiles) ----------------------------------------------


class SurveyAnswered(LearnerRef):
    survey_id: uuid.UUID
    applied_fields: list[Literal["interests", "preferred_formats", "pace"]] = Field(
        default_factory=list,
        description="The profile fields the learner's consented answers changed (names only)",
    )


# issue 17, messages about a learner (profiles) --------------------------------------------


class MessagePosted(LearnerRef):
    thread_id: uuid.UUID
    message_id: uuid.UUID
    author_user_id: uuid.UUID
    recipient_user_ids: list[uuid.UUID] = Field(
        default_factory=list,
        description="The thread's other participants (never the message's text)",
    )


# issue 17, consent requests (pathways): an off-site activity in a learner's pathway needs a
# guardian's consent that no guardian has given. Ids only; the activity is behind the reads.
class ConsentRequested(LearnerRef):
    activity_id: uuid.UUID


class EnrollmentChanged(_Data):
    enrollment_id: uuid.UUID | None = None
    class_id: uuid.UUID
    user_id: uuid.UUID | None = None
    role: str | None = None
    change: str | None = Field(None, description="created, updated or deleted")


class ImportCounts(_Data):
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0


class RosterImported(_Data):
    job_id: uuid.UUID
    schools: ImportCounts | None = None
    sessions: ImportCounts | None = None
    courses: ImportCounts | None = None
    classes: ImportCounts | None = None
    users: ImportCounts | None = None
    enrollments: ImportCounts | None = None


class ResponseScored(LearnerRef):
    response_id: uuid.UUID | None = None
    attempt_id: uuid.UUID
    item_id: uuid.UUID | None = None
    item_version: int | None = None
    skill_codes: list[str] = Field(default_factory=list)
    correct: bool | None = None
    earned: float | None = None
    possible: float | None = None


class AttemptCompleted(LearnerRef):
    attempt_id: uuid.UUID
    assessment_id: uuid.UUID | None = None
    kind: str | None = Field(None, description="skill_check, summative or adaptive")
    score: float | None = None
    max_score: float | None = None


class MasteryChanged(LearnerRef):
    skill_code: str
    p_known: float = Field(ge=0, le=1)
    mastered: bool
    previous_mastered: bool | None = None
    level: str | None = None
    previous_level: str | None = None


# Motivation (assessment, issue 16): thin, the rest is behind learner-scoped reads.
class BadgeAwarded(LearnerRef):
    badge_id: uuid.UUID
    badge: str = Field(
        description="first_mastery, skills_mastered_5, skills_mastered_10, streak_5, comeback"
    )
    skill_code: str | None = Field(
        None, description="The skill of a comeback badge (mastered after a flag for extra help)"
    )


# Credentials (assessment, issue 16): thin; the credential itself is behind the learner's reads.
# Exactly one of ``skill_code`` (a mastered skill) and ``goal_id`` (a completed goal).
class CredentialRef(LearnerRef):
    credential_id: uuid.UUID
    skill_code: str | None = None
    goal_id: uuid.UUID | None = None


class PathwayPlanned(LearnerRef):
    pathway_id: uuid.UUID | None = None
    version: int | None = None
    status: str | None = None
    goal_codes: list[str] = Field(default_factory=list)
    steps: int | None = Field(None, description="How many steps the plan has")


class PathwayStep(LearnerRef):
    pathway_id: uuid.UUID | None = None
    skill_code: str | None = None
    version: int | None = None
    opened: list[str] = Field(
        default_factory=list, description="Skill codes of the steps this one opened"
    )


class LearnerFlagged(LearnerRef):
    class_id: uuid.UUID | None = None
    reason: str | None = Field(None, description="The flag's code (as `code`)")
    code: str | None = Field(
        None,
        description="no_progress, prerequisite_gap, error_rate_high, behind_pace, no_pathway, …",
    )
    flag_id: uuid.UUID | None = None


class PathwayProposal(LearnerRef):
    proposal_id: uuid.UUID
    version: int | None = Field(None, description="The proposal's version (its ETag's number)")


class PortfolioItem(LearnerRef):
    artifact_id: uuid.UUID
    kind: str | None = Field(None, description="text, link, image, audio, video or document")
    step_id: uuid.UUID | None = None
    goal_id: uuid.UUID | None = None
    skill_codes: list[str] = Field(default_factory=list)


class PortfolioFeedback(LearnerRef):
    artifact_id: uuid.UUID
    feedback_id: uuid.UUID


# Step evidence (pathways, issue 16 part 5): ids only; the score is behind the learner's reads.
class EvidenceScored(LearnerRef):
    submission_id: uuid.UUID
    step_id: uuid.UUID
    skill_code: str
    artifact_id: uuid.UUID


# Notifications (profiles, issue 17): what a district's email or SMS system needs to deliver one
# notification to one user, on the channels they turned on. The title is a fixed phrase per kind
# and audience ("A skill was mastered"), never a name, a note or a message's text; the system
# looks the user's address up itself.
class NotificationCreated(_Data):
    notification_id: uuid.UUID
    user_id: uuid.UUID
    kind: Literal[
        "mastery_milestone", "goal_completed", "support_note", "message", "consent_request"
    ]
    channels: list[Literal["email", "sms"]] = Field(
        description="The external channels the user turned on for this kind"
    )
    learner_id: uuid.UUID | None = Field(None, description="The learner it is about, if any")
    title: str = Field(max_length=100, description="A fixed short title, safe to send as is")


class EndpointDisabled(_Data):
    endpoint_id: uuid.UUID
    url: str
    reason: Literal["gone", "failing"]
    failing_since: datetime | None = None


class WebhookTest(_Data):
    endpoint_id: uuid.UUID
    message: str


class WebhookEnvelope(BaseModel):
    """What a webhook body is (``dispatcher.webhook_body`` builds it); published in the catalog
    so a receiver knows the envelope around each type's ``data``, ordering fields included."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID = Field(description="The event id; also the `webhook-id` header (dedupe on it)")
    type: str
    occurred_at: datetime
    district_id: uuid.UUID | None
    subject: str = Field(
        description="What the event is about, e.g. `learner/<id>/assessment`; the unit of order"
    )
    sequence: int | None = Field(
        ge=1,
        description="1, 2, 3… per subject with no gaps at the source: sort a subject's events by "
        "it, and a missing number is an event not received (yet, or filtered out). "
        "Null only for events made before sequences existed.",
    )
    previous_event_id: uuid.UUID | None = Field(
        description="The id of the subject's event numbered `sequence - 1` (null for 1)"
    )
    data: dict[str, Any] = Field(description="The type's catalogued fields only")
    version: int = Field(ge=1, description="Version of the type's data schema")


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    data: type[_Data]

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(self.data.model_fields)


_TYPES = (
    EventType("learner.created", "A learner was added to the roster.", LearnerCreated),
    EventType("learner.updated", "A learner's roster record changed.", LearnerChanged),
    EventType("learner.deleted", "A learner was removed (or erased).", LearnerDeleted),
    EventType("profile.changed", "A learner profile changed (part names only).", ProfileChanged),
    EventType(
        "goal.completed",
        "A learner's goal became achieved (set by the learner or a teacher, or by mastery).",
        GoalCompleted,
    ),
    EventType(
        "reflection.added",
        "A learner reflected on a step, skill or goal (the target only: never the rating or "
        "journal).",
        ReflectionAdded,
    ),
    EventType(
        "survey.answered",
        "A learner answered a survey (which fields their consent changed; never the answers).",
        SurveyAnswered,
    ),
    EventType(
        "message.posted",
        "A message was posted in a thread about a learner (ids only: never the text).",
        MessagePosted,
    ),
    EventType(
        "consent.requested",
        "A guardian's consent is needed for an off-site activity of a learner (once per "
        "learner and activity).",
        ConsentRequested,
    ),
    EventType(
        "enrollment.changed", "An enrollment was added, changed or ended.", EnrollmentChanged
    ),
    EventType("roster.imported", "A roster import finished.", RosterImported),
    EventType("response.scored", "A response to an item was scored.", ResponseScored),
    EventType("attempt.completed", "A skill check attempt was completed.", AttemptCompleted),
    EventType(
        "mastery.changed", "A learner's mastery estimate of a skill changed.", MasteryChanged
    ),
    EventType("badge.awarded", "A learner earned a personal badge.", BadgeAwarded),
    EventType(
        "credential.issued", "An Open Badges credential was issued to a learner.", CredentialRef
    ),
    EventType(
        "credential.revoked", "A learner's Open Badges credential was revoked.", CredentialRef
    ),
    EventType("pathway.planned", "A learner's pathway was (re)planned.", PathwayPlanned),
    EventType("pathway.step_mastered", "A pathway step was mastered.", PathwayStep),
    EventType(
        "pathway.proposed", "A learner proposed (or resubmitted) their own plan.", PathwayProposal
    ),
    EventType(
        "pathway.returned", "A teacher returned a learner's plan with a comment.", PathwayProposal
    ),
    EventType("pathway.step_reopened", "A mastered step was reopened.", PathwayStep),
    EventType("learner.flagged", "A learner was flagged as struggling.", LearnerFlagged),
    EventType("learner.unflagged", "A learner's flag no longer holds.", LearnerFlagged),
    EventType("portfolio.item_added", "A learner added to their portfolio.", PortfolioItem),
    EventType(
        "portfolio.feedback_added", "A teacher gave feedback on an artifact.", PortfolioFeedback
    ),
    EventType("evidence.scored", "A teacher scored a learner's step evidence.", EvidenceScored),
    EventType(
        "notification.created",
        "A user has a notification to deliver by email or SMS (after their quiet hours).",
        NotificationCreated,
    ),
    EventType(
        "webhook.endpoint_disabled",
        "A webhook endpoint was disabled (410 Gone, or failing for too long).",
        EndpointDisabled,
    ),
    EventType("webhook.test", "A test message sent on request.", WebhookTest),
)

CATALOG: dict[str, EventType] = {t.name: t for t in _TYPES}


@dataclass(frozen=True)
class Subscription:
    """An internal subscriber of one event type: the service whose ``POST /internal/events``
    receives it and, optionally, ``when``: a predicate on the event's ``data`` (as its source
    sent it) that must hold for a delivery to be made. The hub evaluates it when it plans
    deliveries, so a service is not called (one internal HTTP request each) for events it would
    only ignore; the service still checks the event itself (the predicate is an optimisation
    and a second line, never its only guard)."""

    service: str
    when: Callable[[Mapping[str, Any]], bool] | None = None

    def wants(self, data: Mapping[str, Any]) -> bool:
        if self.when is None:
            return True
        try:
            return bool(self.when(data))
        except Exception:
            # A predicate that cannot read the data must not lose an event: the subscriber
            # validates it and answers as it would have without the predicate.
            return True


def becomes_mastered(data: Mapping[str, Any]) -> bool:
    """A ``mastery.changed`` that is a transition to mastered (``mastered`` now and not before):
    the only kind profiles makes a notification of (its ``is_mastery_milestone``). Most answers
    move P(known) without such a transition."""
    return data.get("mastered") is True and data.get("previous_mastered") is not True


# Internal subscribers: event type → the services whose ``POST /internal/events`` receive it.
# Profiles makes notifications of mastery milestones, flags, messages and consent requests
# (``message.posted`` is emitted by profiles' messages, ``consent.requested`` by pathways);
# assessment keeps flag episodes, raised and cleared, for the comeback badge
# (docs/assessment.md, "Motivation"). Pathways needs every mastery change (its steps follow
# mastery both ways); profiles only the transitions to mastered (one delivery per answer on the
# core loop otherwise, docs/benchmarks.md).
INTERNAL_SUBSCRIPTIONS: dict[str, tuple[Subscription, ...]] = {
    "mastery.changed": (Subscription("pathways"), Subscription("profiles", when=becomes_mastered)),
    "learner.flagged": (Subscription("assessment"), Subscription("profiles")),
    "learner.unflagged": (Subscription("assessment"),),
    "message.posted": (Subscription("profiles"),),
    "consent.requested": (Subscription("profiles"),),
}


def subscribers_of(event_type: str, data: Mapping[str, Any]) -> list[str]:
    """The internal subscribers that receive this event (their predicates hold for ``data``)."""
    return [s.service for s in INTERNAL_SUBSCRIPTIONS.get(event_type, ()) if s.wants(data)]


def internal_subscribers() -> frozenset[str]:
    """Every service that subscribes to some event type (the hub's internal callers)."""
    return frozenset(s.service for subs in INTERNAL_SUBSCRIPTIONS.values() for s in subs)


def is_known_type(name: str) -> bool:
    return name in CATALOG


def thin_data(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` restricted to the fields the catalog declares for its type (nothing else leaves)."""
    entry = CATALOG.get(event_type)
    if entry is None:
        return {}
    try:
        # Through the model, so nested objects lose their undeclared fields too.
        model = entry.data.model_validate(data)
    except ValidationError:
        # A service sent a field of another shape: still only the declared top-level keys.
        return {key: value for key, value in data.items() if key in entry.fields}
    thin: dict[str, Any] = model.model_dump(mode="json", exclude_unset=True)
    return thin


@cache
def catalog_entries() -> list[dict[str, Any]]:
    return [
        {
            "type": t.name,
            "description": t.description,
            "schema": t.data.model_json_schema(),
        }
        for t in _TYPES
    ]


@cache
def envelope_schema() -> dict[str, Any]:
    return WebhookEnvelope.model_json_schema()
