"""Tables of the assessment service. The migrations in ``migrations/`` are the only way they change.

Every row carries ``district_id``; every query filters on it. Items are versioned: an edit writes a
new ``item_versions`` row, and an attempt pins the version each of its items showed.
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
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pathwise_shared.db import UTCDateTime, make_metadata
from pathwise_shared.db.outbox import event_sequences_table, outbox_table

__all__ = [
    "Assessment",
    "AssessmentItem",
    "Attempt",
    "AttemptItem",
    "Badge",
    "Base",
    "Credential",
    "EvidenceRecord",
    "IssuerKey",
    "Item",
    "ItemSkill",
    "ItemVersion",
    "MasteryFit",
    "MasteryHistory",
    "MasteryState",
    "MotivationPreference",
    "PracticeDay",
    "Response",
    "SkillParams",
    "event_sequences",
    "outbox",
]


class Base(DeclarativeBase):
    metadata = make_metadata()


outbox = outbox_table(Base.metadata)
# Per-subject event numbers, bumped with each outbox write (docs/events.md, "Order").
event_sequences = event_sequences_table(Base.metadata)

ITEM_TYPES = "'single_choice','multiple_select','numeric','short_text','ordering','open_response'"


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("district_id", "idempotency_key"),
        Index("ix_items_district_id_id", "district_id", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    district_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    type: Mapped[str] = mapped_column(String(20))
    current_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="active")
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # sha256 of the keyed request (pathwise_shared.idempotency): the same key with another
    # request is refused instead of answered with this row.
    request_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Ownership (pathwise_shared.ownership): the author's subject and school; no school = district-wide.
    # Kept apart from created_by (who wrote the row) so ownership can be handed over when a
    # teacher leaves without rewriting history.
    owner_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    owner_school_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)


class ItemVersion(Base):
    __tablename__ = "item_versions"
    __table_args__ = (
        UniqueConstraint("item_id", "version"),
        CheckConstraint(f"type IN ({ITEM_TYPES})", name="type"),
        CheckConstraint("points > 0", name="points"),
        CheckConstraint("discrimination > 0", name="discrimination"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    district_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    version: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(20))
    stem: Mapped[str] = mapped_column(Text)
    skill_codes: Mapped[list[str]] = mapped_column(JSON)
    points: Mapped[float] = mapped_column(Float)
    difficulty: Mapped[float] = mapped_column(Float)
    discrimination: Mapped[float] = mapped_column(Float)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ItemSkill(Base):
    """Skill tags of each item's *current* version: finds a skill's items and median difficulty."""

    __tablename__ = "item_skills"
    __table_args__ = (Index("ix_item_skills_district_skill", "district_id", "skill_code"),)

    item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    skill_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    district_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    difficulty: Mapped[float] = mapped_column(Float)


class Assessment(Base):
    __tablename__ = "assessments"
    __table_args__ = (
        UniqueConstraint("district_id", "idempotency_key"),
        CheckConstraint("kind IN ('skill_check','summative','adaptive','diagnostic')", name="kind"),
        Index("ix_assessments_district_id_id", "district_id", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    district_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    skill_codes: Mapped[list[str]] = mapped_column(JSON)
    time_limit_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_items: Mapped[int | None] = mapped_column(Integer, nullable=True)
    target_se: Mapped[float | None] = mapped_column(Float, nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # sha256 of the keyed request (pathwise_shared.idempotency): the same key with another
    # request is refused instead of answered with this row.
    request_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Ownership, as on items.
    owner_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    owner_school_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)


class AssessmentItem(Base):
    __tablename__ = "assessment_items"

    assessment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("items.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class Attempt(Base):
    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("district_id", "idempotency_key"),
        CheckConstraint("status IN ('in_progress','finished')", name="status"),
        Index("ix_attempts_district_learner", "district_id", "learner_id", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    district_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    assessment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assessments.id"))
    learner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(20), default="in_progress")
    time_factor: Mapped[float] = mapped_column(Float, default=1.0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    theta: Mapped[float | None] = mapped_column(Float, nullable=True)
    theta_se: Mapped[float | None] = mapped_column(Float, nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    results: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # sha256 of the keyed request (pathwise_shared.idempotency): the same key with another
    # request is refused instead of answered with this row.
    request_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))


class AttemptItem(Base):
    """The items an attempt shows, each pinned to the version it saw."""

    __tablename__ = "attempt_items"

    attempt_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("items.id"), primary_key=True)
    item_version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("item_versions.id"))
    position: Mapped[int] = mapped_column(Integer)


class Response(Base):
    __tablename__ = "responses"
    __table_args__ = (
        UniqueConstraint("attempt_id", "item_id"),
        CheckConstraint("status IN ('scored','pending')", name="status"),
        Index("ix_responses_district_id_id", "district_id", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    district_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    attempt_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("items.id"))
    item_version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("item_versions.id"))
    learner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    answer: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    earned: Mapped[float] = mapped_column(Float, default=0.0)
    possible: Mapped[float] = mapped_column(Float)
    correct: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    rubric: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    scored_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


class SkillParams(Base):
    """BKT parameters of a skill in a district (defaults until a fit writes them)."""

    __tablename__ = "skill_params"

    district_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    skill_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    prior: Mapped[float] = mapped_column(Float)
    learn: Mapped[float] = mapped_column(Float)
    guess: Mapped[float] = mapped_column(Float)
    slip: Mapped[float] = mapped_column(Float)
    forget: Mapped[float] = mapped_column(Float, default=0.0)
    threshold: Mapped[float] = mapped_column(Float, default=0.95)
    source: Mapped[str] = mapped_column(String(20), default="fitted")
    fit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    response_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MasteryState(Base):
    __tablename__ = "mastery_states"
    __table_args__ = (Index("ix_mastery_states_district_skill", "district_id", "skill_code"),)

    district_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    learner_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    skill_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    p_known: Mapped[float] = mapped_column(Float)
    mastered: Mapped[bool] = mapped_column(Boolean, default=False)
    level: Mapped[str] = mapped_column(String(20))
    evidence_count: Mapped[int] = mapped_column(Integer, default=0)
    # The legacy rule's counter (before issue 14): no longer read or moved, kept so that the
    # column's history stays with the rows.
    hard_correct_count: Mapped[int] = mapped_column(Integer, default=0)
    # The evidence floor's CUSUM (nats; domain.mastery.MasteryState.evidence_weight).
    evidence_weight: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MasteryHistory(Base):
    """Every move of P(known), with the response that moved it (its evidence)."""

    __tablename__ = "mastery_history"
    __table_args__ = (
        Index("ix_mastery_history_learner_skill", "district_id", "learner_id", "skill_code", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    district_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    learner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    skill_code: Mapped[str] = mapped_column(String(40))
    response_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    reason: Mapped[str] = mapped_column(String(20))
    correct: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    hard: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    p_before: Mapped[float] = mapped_column(Float)
    p_after: Mapped[float] = mapped_column(Float)
    mastered: Mapped[bool] = mapped_column(Boolean)
    level: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MasteryFit(Base):
    """One EM fitting run over a district's responses."""

    __tablename__ = "mastery_fits"
    __table_args__ = (
        CheckConstraint("status IN ('running','succeeded','failed')", name="status"),
        Index("ix_mastery_fits_district_id_id", "district_id", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    district_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(20))
    min_responses: Mapped[int] = mapped_column(Integer)
    response_count: Mapped[int] = mapped_column(Integer, default=0)
    skill_count: Mapped[int] = mapped_column(Integer, default=0)
    results: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    requested_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PracticeDay(Base):
    """How many items a learner answered on a day (UTC): the practice points and the streak.

    Kept with each new answer, in its transaction, so reading a learner's motivation is one
    short query instead of a scan of the district's responses (which have no learner index)."""

    __tablename__ = "practice_days"

    district_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    learner_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    answers: Mapped[int] = mapped_column(Integer, default=0)


class Badge(Base):
    """A personal milestone, awarded once (``skill_code`` is '' for learner-wide badges)."""

    __tablename__ = "badges"
    __table_args__ = (
        UniqueConstraint("district_id", "learner_id", "code", "skill_code"),
        Index("ix_badges_district_learner", "district_id", "learner_id", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    district_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    learner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    code: Mapped[str] = mapped_column(String(40))
    skill_code: Mapped[str] = mapped_column(String(40), default="")
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FlagNotice(Base):
    """A ``learner.flagged`` or ``learner.unflagged`` event from pathways, as far as the comeback
    badge needs it (docs/assessment.md, "Motivation"): the flag, its kind, its skill (None: the
    flag is learner-wide) and when. One row per event (its id: a redelivery adds nothing).
    ``comeback_skill``: the skill whose comeback a ``flagged`` row's episode earned (at most
    one per episode)."""

    __tablename__ = "flag_notices"
    __table_args__ = (
        Index("ix_flag_notices_district_learner", "district_id", "learner_id", "occurred_at"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    district_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    learner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    flag_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(10))  # flagged / unflagged
    code: Mapped[str] = mapped_column(String(40))
    skill_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    comeback_skill: Mapped[str | None] = mapped_column(String(40), nullable=True)


class MotivationPreference(Base):
    """The learner's choice to hide their motivation display (no row: shown)."""

    __tablename__ = "motivation_preferences"

    district_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    learner_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IssuerKey(Base):
    """A district's credential-signing key (Ed25519), made on first use.

    One per district (the primary key makes two first issues at once agree on one key: insert
    or read). The private seed is stored here in the embedded setup; production keeps it in a
    KMS and stores only the key's reference and public half (``service.credential_keys``)."""

    __tablename__ = "issuer_keys"
    __table_args__ = (UniqueConstraint("kid"),)

    district_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    kid: Mapped[str] = mapped_column(String(80))
    algorithm: Mapped[str] = mapped_column(String(20))
    public_key: Mapped[str] = mapped_column(String(100))  # base64url, 32 bytes
    private_key: Mapped[str] = mapped_column(String(100))  # base64url seed, 32 bytes
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


# The rows the unique indexes above cover: a revoked credential no longer blocks a new one.
ACTIVE_SKILL_CREDENTIAL = "revoked_at IS NULL AND skill_code IS NOT NULL"
ACTIVE_GOAL_CREDENTIAL = "revoked_at IS NULL AND goal_id IS NOT NULL"


class Credential(Base):
    """An Open Badges 3.0 credential issued to a learner for a mastered skill or a completed goal
    (the signed VC-JWT as issued), and its revocation (the bit ``status_index`` of the
    district's list)."""

    __tablename__ = "credentials"
    __table_args__ = (
        # Exactly one achievement: a skill (``skill_code``) or a profiles goal (``goal_id``).
        CheckConstraint("(skill_code IS NULL) <> (goal_id IS NULL)", name="one_achievement"),
        UniqueConstraint("district_id", "status_index"),
        UniqueConstraint("district_id", "idempotency_key"),
        Index("ix_credentials_district_learner", "district_id", "learner_id", "id"),
        # One unrevoked credential per learner and skill, and per learner and goal: the
        # service's "already holds one" check cannot see a concurrent request's uncommitted
        # row, the index can (the second insert fails and is answered 409 credential-exists).
        Index(
            "uq_credentials_active_skill",
            "district_id",
            "learner_id",
            "skill_code",
            unique=True,
            sqlite_where=text(ACTIVE_SKILL_CREDENTIAL),
            postgresql_where=text(ACTIVE_SKILL_CREDENTIAL),
        ),
        Index(
            "uq_credentials_active_goal",
            "district_id",
            "learner_id",
            "goal_id",
            unique=True,
            sqlite_where=text(ACTIVE_GOAL_CREDENTIAL),
            postgresql_where=text(ACTIVE_GOAL_CREDENTIAL),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    district_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    learner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    skill_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # The goal's id in profiles (no foreign key across services).
    goal_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    status_index: Mapped[int] = mapped_column(Integer)
    kid: Mapped[str] = mapped_column(String(80))
    jwt: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    revoke_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    request_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class EvidenceRecord(Base):
    """Mastery evidence scored outside an attempt: a teacher's rubric score of a learner's own
    work (pathways' step evidence, docs/assessment.md "Evidence from pathways"). Keyed by the
    caller's id of the scored work, so a retried call never counts the same work twice."""

    __tablename__ = "evidence_records"
    __table_args__ = (
        CheckConstraint("fraction >= 0 AND fraction <= 1", name="fraction"),
        Index("ix_evidence_records_district_learner", "district_id", "learner_id", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)  # the caller's evidence id
    district_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    learner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    skill_code: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(40))
    fraction: Mapped[float] = mapped_column(Float)
    correct: Mapped[bool] = mapped_column(Boolean)
    scored_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
