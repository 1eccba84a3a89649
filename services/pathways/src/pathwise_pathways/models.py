"""Tables of the pathways service. The migrations in ``migrations/`` are the only way they change.

Skills are addressed by their framework's code (``3.NF.A.1``): that code is what assessment keys
mastery on, so pathway steps, activity alignments and events carry the code, not a row id.
"""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pathwise_shared.db import UTCDateTime, make_metadata
from pathwise_shared.db.outbox import event_sequences_table, outbox_table
from pathwise_shared.ids import new_id
from pathwise_shared.timeutil import utcnow

__all__ = [
    "Activity",
    "ActivityConsent",
    "ActivitySkill",
    "Base",
    "ClassGrouping",
    "EvidenceSubmission",
    "Framework",
    "FrameworkAssociation",
    "GroupAssignment",
    "LearnerFlag",
    "Pathway",
    "PathwayProposal",
    "PathwayProposalRevision",
    "PathwayStep",
    "PathwayVersion",
    "PortfolioArtifact",
    "PortfolioFeedback",
    "ProcessedEvent",
    "Skill",
    "SkillEdge",
    "StepEvidenceRule",
    "event_sequences",
    "outbox",
]


class Base(DeclarativeBase):
    metadata = make_metadata()


outbox = outbox_table(Base.metadata)
# Per-subject event numbers, bumped with each outbox write (docs/events.md, "Order").
event_sequences = event_sequences_table(Base.metadata)


class Framework(Base):
    """A skill framework: shared by every district (``district_id`` NULL) or one district's own."""

    __tablename__ = "frameworks"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    district_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    key: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(30))
    source_id: Mapped[str | None] = mapped_column(String(200))
    # Bumped on every change of skills or edges: the in-process graph cache is keyed on it.
    version: Mapped[int] = mapped_column(Integer, default=1)
    import_report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # When the content last changed: a CASE package's lastChangeDateTime (what a re-import is
    # compared with), or the moment of a local edit. The CASE export states it.
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Ownership (pathwise_shared.ownership): the author's subject and school; no school = district-wide.
    # NULL owner: the shared frameworks (read-only anyway) and rows older than ownership.
    owner_id: Mapped[str | None] = mapped_column(String(200))
    owner_school_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    __table_args__ = (UniqueConstraint("district_id", "key"),)


class Skill(Base):
    __tablename__ = "skills"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    framework_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("frameworks.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(100), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(String(100))
    grade: Mapped[str | None] = mapped_column(String(20))
    domain: Mapped[str | None] = mapped_column(String(100))
    cluster: Mapped[str | None] = mapped_column(String(100))
    parent_code: Mapped[str | None] = mapped_column(String(100))
    # The CASE item it came from (identifier, URI), so a crosswalk or an export can name it.
    source_id: Mapped[str | None] = mapped_column(String(200))
    source_uri: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("framework_id", "code"),)


class SkillEdge(Base):
    """``prerequisite`` (source before target), ``related`` (conceptual connection, never gating)
    or ``exact_match`` (crosswalk to a skill that may be in another framework). A crosswalk's
    ``target_code`` is the code of the skill it resolved to among the district's frameworks
    (``target_framework_id``), else the target's CASE identifier; ``target_id``/``target_uri``
    and the target's CASE document are kept as the package gave them."""

    __tablename__ = "skill_edges"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    framework_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("frameworks.id", ondelete="CASCADE"), index=True
    )
    source_code: Mapped[str] = mapped_column(String(100))
    target_code: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    target_framework_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    target_id: Mapped[str | None] = mapped_column(String(200))
    target_uri: Mapped[str | None] = mapped_column(String(1000))
    target_document_id: Mapped[str | None] = mapped_column(String(200))
    target_document_uri: Mapped[str | None] = mapped_column(String(1000))

    __table_args__ = (
        UniqueConstraint("framework_id", "source_code", "target_code", "kind"),
        CheckConstraint("kind IN ('prerequisite', 'related', 'exact_match')", name="kind"),
    )


class FrameworkAssociation(Base):
    """A CASE association that is neither hierarchy, prerequisite, related edge nor crosswalk
    (``isPeerOf``, ``isPartOf``, ``replacedBy``, ``exemplar``, ``hasSkillLevel``,
    ``isTranslationOf``, ``ext:…``, an ``isRelatedTo`` leaving the framework): kept typed, as it
    came, so the export gives it back. Never read by the planner."""

    __tablename__ = "framework_associations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    framework_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("frameworks.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(100))
    identifier: Mapped[str | None] = mapped_column(String(200))
    origin_id: Mapped[str] = mapped_column(String(200))
    origin_code: Mapped[str | None] = mapped_column(String(100))
    origin_uri: Mapped[str | None] = mapped_column(String(1000))
    destination_id: Mapped[str] = mapped_column(String(200))
    destination_code: Mapped[str | None] = mapped_column(String(100))
    destination_uri: Mapped[str | None] = mapped_column(String(1000))
    destination_title: Mapped[str | None] = mapped_column(String(300))
    sequence_number: Mapped[int | None] = mapped_column(Integer)


class Activity(Base):
    __tablename__ = "activities"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    district_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(String(20))
    difficulty: Mapped[int] = mapped_column(Integer)
    minutes: Mapped[int] = mapped_column(Integer)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    accessibility: Mapped[list[str]] = mapped_column(JSON, default=list)
    interest_tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    url: Mapped[str | None] = mapped_column(String(2000))
    skill_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Ownership, as on frameworks (NULL owner: rows older than ownership).
    owner_id: Mapped[str | None] = mapped_column(String(200))
    owner_school_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # Learning beyond the classroom (docs/pathways.md): ``classroom`` for the catalogue's usual
    # activities; community, field_trip, internship, service and project carry a partner, a
    # place, dates and a supervision contact (staff-only phone and email).
    kind: Mapped[str] = mapped_column(String(20), default="classroom", server_default="classroom")
    partner: Mapped[str | None] = mapped_column(String(200))
    place: Mapped[str | None] = mapped_column(String(300))
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    supervisor_name: Mapped[str | None] = mapped_column(String(200))
    supervisor_phone: Mapped[str | None] = mapped_column(String(40))
    supervisor_email: Mapped[str | None] = mapped_column(String(254))
    requires_guardian_consent: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sa_false()
    )

    @property
    def owner(self) -> dict[str, Any]:
        """The ``owner`` of the read schema (ActivityOut reads attributes)."""
        return {"id": self.owner_id, "school_id": self.owner_school_id}

    __table_args__ = (
        CheckConstraint(
            "format IN ('video', 'text', 'audio', 'interactive', 'hands_on', 'game')",
            name="format",
        ),
        CheckConstraint("difficulty BETWEEN 1 AND 5", name="difficulty"),
        CheckConstraint("minutes > 0", name="minutes"),
        CheckConstraint(
            "kind IN ('classroom', 'community', 'field_trip', 'internship', 'service', 'project')",
            name="kind",
        ),
        CheckConstraint(
            "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="dates"
        ),
    )


class ActivitySkill(Base):
    """The alignment index: which activities teach a skill code (the choice board's one query)."""

    __tablename__ = "activity_skills"

    activity_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    skill_code: Mapped[str] = mapped_column(String(100), primary_key=True)
    district_id: Mapped[uuid.UUID] = mapped_column(Uuid)

    __table_args__ = (Index("ix_activity_skills_lookup", "district_id", "skill_code"),)


class Pathway(Base):
    """One learner's route. Status ``draft`` waits for a teacher's approval; ``active`` runs."""

    __tablename__ = "pathways"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    district_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    learner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=1)
    goals: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The mastery the plan was made from, kept up to date by mastery.changed events so an advance
    # replans without another round trip to assessment.
    mastered_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    learner_profile: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Skills a diagnostic placed (code → its evidence: attempt, ability, answers), as read from
    # assessment at the last plan; and those a teacher un-placed (code → the attempt id whose
    # placement was revoked: a later diagnostic that places the skill again is new evidence).
    placements: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    unplaced: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    minutes_per_week: Mapped[int] = mapped_column(Integer, default=120)
    approved_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("district_id", "learner_id"),
        CheckConstraint("status IN ('draft', 'active')", name="status"),
    )


class PathwayStep(Base):
    __tablename__ = "pathway_steps"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    pathway_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("pathways.id", ondelete="CASCADE"), index=True
    )
    skill_code: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    goal_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    due_date: Mapped[date | None] = mapped_column(Date)
    teacher_rank: Mapped[int | None] = mapped_column(Integer)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    inserted: Mapped[bool] = mapped_column(Boolean, default=False)
    choice_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    chosen_activity_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    board: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    mastered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("pathway_id", "skill_code"),
        CheckConstraint(
            "status IN ('locked', 'ready', 'mastered', 'skipped', 'placed')",
            name="status",
        ),
    )


class PathwayVersion(Base):
    """Every change of a pathway: who, why, what, and the steps as they were after it."""

    __tablename__ = "pathway_versions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    pathway_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("pathways.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    change: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(200))
    actor_kind: Mapped[str] = mapped_column(String(20))
    # The actor's role when they made the change (``student`` for a learner's own plan); null on
    # versions written before roles were recorded.
    actor_role: Mapped[str | None] = mapped_column(String(30))
    # The learner's proposal this version came from, if any.
    proposal_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    reason: Mapped[str] = mapped_column(String(1000))
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("pathway_id", "version"),)


class PathwayProposal(Base):
    """A plan the learner drafts for themself (docs/pathways.md, "A plan the learner drafts"):
    goal skills, an order of steps and activity picks, ``proposed`` until a teacher approves it
    (it becomes the pathway) or returns it with a comment (``returned``, the learner revises)."""

    __tablename__ = "pathway_proposals"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    district_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    learner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=1)
    goals: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    order: Mapped[list[str]] = mapped_column(JSON, default=list)
    choices: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(String(2000), default="")
    author: Mapped[str] = mapped_column(String(200))
    author_role: Mapped[str] = mapped_column(String(30))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The pathway version the approval made (its history names the learner as author).
    pathway_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_pathway_proposals_learner", "district_id", "learner_id", "id"),
        CheckConstraint("status IN ('proposed', 'returned', 'approved')", name="status"),
    )


class PathwayProposalRevision(Base):
    """Every version of a proposal, kept: who (and in which role) proposed, edited, returned
    (with the comment) or approved it, and the content as it was after."""

    __tablename__ = "pathway_proposal_revisions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    proposal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("pathway_proposals.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    change: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(200))
    actor_role: Mapped[str] = mapped_column(String(30))
    comment: Mapped[str | None] = mapped_column(String(2000))
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("proposal_id", "revision"),)


class ProcessedEvent(Base):
    """Event ids already applied by ``POST /internal/events`` (at-least-once delivery)."""

    __tablename__ = "processed_events"

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    event_type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClassGrouping(Base):
    __tablename__ = "class_groupings"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    district_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    class_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    strategy: Mapped[str] = mapped_column(String(30))
    groups: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_class_groupings_class", "district_id", "class_id", "id"),)


class GroupAssignment(Base):
    __tablename__ = "group_assignments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    grouping_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("class_groupings.id", ondelete="CASCADE"), index=True
    )
    district_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    group_index: Mapped[int] = mapped_column(Integer)
    learner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    activity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    assigned_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("grouping_id", "learner_id"),)


class LearnerFlag(Base):
    """A learner's early-warning flag as last computed (docs/pathways.md, "Insights").

    One row per learner and code while the flag holds: a flag that clears is deleted
    (``learner.unflagged``); one that fires again, or on other evidence (another ``instance_key``),
    is a new instance (``learner.flagged``) and is no longer dismissed.
    """

    __tablename__ = "learner_flags"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    district_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    learner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    code: Mapped[str] = mapped_column(String(40))
    instance_key: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str] = mapped_column(String(1000))
    numbers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dismissed_by: Mapped[str | None] = mapped_column(String(200))
    dismissal_note: Mapped[str | None] = mapped_column(String(2000))

    __table_args__ = (UniqueConstraint("district_id", "learner_id", "code"),)


class ActivityConsent(Base):
    """A guardian's consent for their learner to take part in an off-site activity: one per
    learner and activity (docs/pathways.md, "Learning beyond the classroom")."""

    __tablename__ = "activity_consents"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    district_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    learner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    activity_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    given_by: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(String(1000), default="")
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("district_id", "learner_id", "activity_id"),)


class ConsentRequest(Base):
    """A guardian's consent was asked for (``consent.requested``): the first time choosing the
    activity for the learner was refused for want of it. One per learner and activity, so a
    retried choice asks the guardians once (docs/pathways.md, "Learning beyond the classroom")."""

    __tablename__ = "consent_requests"

    district_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    learner_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    activity_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PortfolioArtifact(Base):
    """A piece of a learner's own work (docs/pathways.md, "Portfolio"): text, a link, or a file
    kept in the file store under ``storage_key`` (random, never the client's name)."""

    __tablename__ = "portfolio_artifacts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    district_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    learner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2000))
    skill_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A step of the learner's pathway when it was added (steps are replanned: no foreign key,
    # the step's skill is kept beside it) or one of the learner's goals (held by profiles).
    step_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    step_skill_code: Mapped[str | None] = mapped_column(String(100))
    goal_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    share_with_guardians: Mapped[bool] = mapped_column(Boolean, default=False)
    storage_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    media_type: Mapped[str | None] = mapped_column(String(100))
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    filename: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # A keyed create (``Idempotency-Key``, checked here: the upload is streamed past the
    # gateway's own store): the caller-scoped key and the request's fingerprint.
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_portfolio_artifacts_learner", "district_id", "learner_id", "id"),
        UniqueConstraint("district_id", "idempotency_key"),
        CheckConstraint(
            "kind IN ('text', 'link', 'image', 'audio', 'video', 'document')", name="kind"
        ),
    )


class PortfolioFeedback(Base):
    """A teacher's feedback on an artifact: a thread, oldest first."""

    __tablename__ = "portfolio_feedback"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    artifact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("portfolio_artifacts.id", ondelete="CASCADE"), index=True
    )
    district_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    author_id: Mapped[str] = mapped_column(String(200))
    author_role: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(String(4000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StepEvidenceRule(Base):
    """What a teacher lets a step be shown with besides its skill checks (docs/pathways.md,
    "Evidence in the learner's format"): the allowed formats and the rubric scoring them. Goes
    with its step: a replan that drops the step drops the rule."""

    __tablename__ = "step_evidence_rules"

    step_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("pathway_steps.id", ondelete="CASCADE"), primary_key=True
    )
    district_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    learner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    formats: Mapped[list[str]] = mapped_column(JSON, default=list)
    rubric: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class EvidenceSubmission(Base):
    """A portfolio artifact a learner submitted as evidence for a step, and its rubric score.

    The step is kept by id and skill (no foreign key: a replan may drop the step, the scored
    evidence stays); the rubric is the step's as it was when the work was submitted, so the
    learner is scored on what they were shown. ``open_step_id`` is the step while the submission
    awaits its score and null after, so one pending submission per learner and step is a unique
    key (NULLs never collide)."""

    __tablename__ = "evidence_submissions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    district_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    learner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    step_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    skill_code: Mapped[str] = mapped_column(String(100))
    artifact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portfolio_artifacts.id"))
    artifact_kind: Mapped[str] = mapped_column(String(20))
    format: Mapped[str] = mapped_column(String(20))
    rubric: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    open_step_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    levels: Mapped[dict[str, str] | None] = mapped_column(JSON)
    points: Mapped[float | None] = mapped_column(Float)
    max_points: Mapped[float] = mapped_column(Float)
    fraction: Mapped[float | None] = mapped_column(Float)
    correct: Mapped[bool | None] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(String(4000))
    scored_by: Mapped[str | None] = mapped_column(String(200))
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_evidence_submissions_learner", "district_id", "learner_id", "id"),
        UniqueConstraint("learner_id", "open_step_id"),
        CheckConstraint("status IN ('pending', 'scored')", name="status"),
    )
