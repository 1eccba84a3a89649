"""Tables of the profiles service. The migrations in ``migrations/`` are the only way they change.

Every roster table carries ``district_id`` (the tenant), the external OneRoster ``sourced_id``
(unique within the district when present) and a ``status`` (``active`` / ``tobedeleted``):
deletes are soft, as in OneRoster, so a re-import or a late event can still name the row.
Queries go through SQLAlchemy Core on these tables (``repository/``): the hot reads avoid the ORM.
"""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import DeclarativeBase

from pathwise_shared.db import UTCDateTime, make_metadata
from pathwise_shared.db.outbox import event_sequences_table, outbox_table

__all__ = [
    "ROSTER_STATUSES",
    "Base",
    "academic_sessions",
    "change_counters",
    "classes",
    "courses",
    "districts",
    "enrollments",
    "event_sequences",
    "goal_comments",
    "goals",
    "guardian_links",
    "import_jobs",
    "learner_profiles",
    "legal_holds",
    "message_attachments",
    "message_threads",
    "messages",
    "notification_preferences",
    "notifications",
    "outbox",
    "pending_deletions",
    "profile_history",
    "reflection_replies",
    "reflections",
    "retention_deletions",
    "retention_policies",
    "roster_changes",
    "schools",
    "survey_assignments",
    "surveys",
    "thread_participants",
    "user_roles",
    "user_schools",
    "users",
]

ROSTER_STATUSES = ("active", "tobedeleted")
ACTIVE_IMPORT = "state IN ('queued', 'running')"


class Base(DeclarativeBase):
    metadata = make_metadata()


metadata = Base.metadata
outbox = outbox_table(metadata)
# Per-subject event numbers, bumped with each outbox write (docs/events.md, "Order").
event_sequences = event_sequences_table(metadata)


def _status_check() -> CheckConstraint:
    return CheckConstraint("status IN ('active', 'tobedeleted')", name="status")


def _roster_columns() -> list[Column[object]]:
    return [
        Column("sourced_id", String(255), nullable=True),
        Column("status", String(20), nullable=False, server_default="active"),
        Column("created_at", UTCDateTime, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
    ]


def _district_fk() -> Column[object]:
    return Column(
        "district_id", Uuid, ForeignKey("districts.id", ondelete="CASCADE"), nullable=False
    )


districts = Table(
    "districts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(255), nullable=False),
    *_roster_columns(),
    _status_check(),
    UniqueConstraint("sourced_id"),
)

schools = Table(
    "schools",
    metadata,
    Column("id", Uuid, primary_key=True),
    _district_fk(),
    Column("name", String(255), nullable=False),
    Column("identifier", String(255), nullable=True),
    *_roster_columns(),
    _status_check(),
    UniqueConstraint("district_id", "sourced_id"),
    Index("ix_schools_district_id_id", "district_id", "id"),
)

academic_sessions = Table(
    "academic_sessions",
    metadata,
    Column("id", Uuid, primary_key=True),
    _district_fk(),
    Column("title", String(255), nullable=False),
    Column("type", String(30), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("parent_id", Uuid, ForeignKey("academic_sessions.id"), nullable=True),
    Column("school_year", Integer, nullable=True),
    *_roster_columns(),
    _status_check(),
    CheckConstraint("type IN ('schoolYear', 'term', 'semester', 'gradingPeriod')", name="type"),
    UniqueConstraint("district_id", "sourced_id"),
    Index("ix_academic_sessions_district_id_id", "district_id", "id"),
)

courses = Table(
    "courses",
    metadata,
    Column("id", Uuid, primary_key=True),
    _district_fk(),
    Column("school_id", Uuid, ForeignKey("schools.id"), nullable=True),
    Column("title", String(255), nullable=False),
    Column("course_code", String(100), nullable=True),
    Column("grades", JSON, nullable=False),
    *_roster_columns(),
    _status_check(),
    UniqueConstraint("district_id", "sourced_id"),
    Index("ix_courses_district_id_id", "district_id", "id"),
)

classes = Table(
    "classes",
    metadata,
    Column("id", Uuid, primary_key=True),
    _district_fk(),
    Column("school_id", Uuid, ForeignKey("schools.id"), nullable=False),
    Column("course_id", Uuid, ForeignKey("courses.id"), nullable=True),
    Column("session_id", Uuid, ForeignKey("academic_sessions.id"), nullable=True),
    Column("title", String(255), nullable=False),
    Column("class_code", String(100), nullable=True),
    # The lowest grade of the class, for filtering; ``grades`` keeps the full OneRoster list.
    Column("grade", String(10), nullable=True),
    Column("grades", JSON, nullable=False),
    *_roster_columns(),
    _status_check(),
    UniqueConstraint("district_id", "sourced_id"),
    Index("ix_classes_district_id_id", "district_id", "id"),
    Index("ix_classes_school_id", "school_id"),
)

users = Table(
    "users",
    metadata,
    Column("id", Uuid, primary_key=True),
    _district_fk(),
    Column("username", String(255), nullable=False),
    Column("email", String(320), nullable=True),
    Column("given_name", String(255), nullable=False),
    Column("family_name", String(255), nullable=False),
    Column("grade", String(10), nullable=True),
    Column("enabled", Boolean, nullable=False, server_default="1"),
    # The language the user reads our words in (a BCP 47 tag such as ``es``); null: the district's
    # default. Guardians' family summary is phrased in it where we have the words.
    Column("preferred_language", String(35), nullable=True),
    # A student's birth date, optional: only the retention rule for under-13s reads it
    # (docs/privacy.md, "Retention"). No other demographic is kept.
    Column("birth_date", Date, nullable=True),
    *_roster_columns(),
    _status_check(),
    UniqueConstraint("district_id", "sourced_id"),
    UniqueConstraint("district_id", "username"),
    Index("ix_users_district_id_id", "district_id", "id"),
)

# Roles as a set: one row per (user, role); the access check and role filters use the index.
user_roles = Table(
    "user_roles",
    metadata,
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(20), primary_key=True),
    Column("district_id", Uuid, nullable=False),
    CheckConstraint(
        "role IN ('student', 'teacher', 'guardian', 'school_admin', 'district_admin')",
        name="role",
    ),
    Index("ix_user_roles_district_id_role", "district_id", "role"),
)

# Which schools a user belongs to (OneRoster orgSourcedIds): school admins' scope, filters.
user_schools = Table(
    "user_schools",
    metadata,
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("school_id", Uuid, ForeignKey("schools.id", ondelete="CASCADE"), primary_key=True),
    Column("district_id", Uuid, nullable=False),
    Index("ix_user_schools_school_id", "school_id"),
)

enrollments = Table(
    "enrollments",
    metadata,
    Column("id", Uuid, primary_key=True),
    _district_fk(),
    Column("class_id", Uuid, ForeignKey("classes.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("school_id", Uuid, ForeignKey("schools.id"), nullable=False),
    Column("role", String(20), nullable=False),
    Column("is_primary", Boolean, nullable=False, server_default="0"),
    Column("begin_date", Date, nullable=True),
    Column("end_date", Date, nullable=True),
    *_roster_columns(),
    _status_check(),
    CheckConstraint("role IN ('student', 'teacher')", name="role"),
    UniqueConstraint("district_id", "sourced_id"),
    # The access check joins a teacher's classes to a learner's: both lookups start at user_id.
    Index("ix_enrollments_user_id_class_id", "user_id", "class_id"),
    Index("ix_enrollments_class_id_role", "class_id", "role"),
    Index("ix_enrollments_district_id_id", "district_id", "id"),
)

guardian_links = Table(
    "guardian_links",
    metadata,
    Column("id", Uuid, primary_key=True),
    _district_fk(),
    Column("guardian_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("student_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("relationship", String(30), nullable=False),
    *_roster_columns(),
    _status_check(),
    UniqueConstraint("guardian_id", "student_id"),
    Index("ix_guardian_links_student_id", "student_id"),
)

learner_profiles = Table(
    "learner_profiles",
    metadata,
    Column("learner_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    _district_fk(),
    Column("version", Integer, nullable=False),
    Column("strengths", JSON, nullable=False),
    Column("needs", JSON, nullable=False),
    Column("interests", JSON, nullable=False),
    Column("preferred_formats", JSON, nullable=False),
    Column("pace", String(10), nullable=False, server_default="steady"),
    Column("home_languages", JSON, nullable=False),
    Column("english_learner", Boolean, nullable=False, server_default="0"),
    Column("english_proficiency", Integer, nullable=True),
    Column("accommodations", JSON, nullable=False),
    Column("notes", Text, nullable=True),
    # Staff-set restrictions and learner-set sharing (see docs/profiles.md, "Visibility").
    Column("restrictions", JSON, nullable=False),
    Column("sharing", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("pace IN ('slower', 'steady', 'faster')", name="pace"),
)

goals = Table(
    "goals",
    metadata,
    Column("id", Uuid, primary_key=True),
    _district_fk(),
    Column(
        "learner_id",
        Uuid,
        ForeignKey("learner_profiles.learner_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("term", String(10), nullable=False),
    Column("title", String(200), nullable=False),
    Column("skill_codes", JSON, nullable=False),
    Column("target_date", Date, nullable=True),
    Column("status", String(20), nullable=False),
    Column("progress", Float, nullable=False, server_default="0"),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # Why the goal matters to the learner, in their words (docs/profiles.md, "Student-owned goals").
    Column("why", String(500), nullable=True),
    # A teacher's (or admin's) co-sign: the subject who signed and when; a learner's edit of the
    # goal's title, skills or date clears both.
    Column("co_signed_by", String(200), nullable=True),
    Column("co_signed_at", UTCDateTime, nullable=True),
    # Set when the goal's status becomes ``achieved`` (and ``goal.completed`` is written), cleared
    # when it leaves it: one event per completion.
    Column("completed_at", UTCDateTime, nullable=True),
    CheckConstraint("term IN ('short', 'long')", name="term"),
    CheckConstraint("status IN ('active', 'achieved', 'paused', 'dropped')", name="status"),
    Index("ix_goals_learner_id", "learner_id"),
)

# A goal's comment thread: its learner's teachers and admins write, the learner and whoever sees
# the learner's goals read.
goal_comments = Table(
    "goal_comments",
    metadata,
    Column("id", Uuid, primary_key=True),
    _district_fk(),
    Column("goal_id", Uuid, ForeignKey("goals.id", ondelete="CASCADE"), nullable=False),
    Column("learner_id", Uuid, nullable=False),
    Column("author", String(200), nullable=False),
    Column("author_role", String(20), nullable=False),
    Column("body", String(2000), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_goal_comments_goal_id", "goal_id", "id"),
)

# A learner's reflection on one pathway step, skill or goal of theirs: a confidence rating (1-4)
# and an optional journal entry. Exactly one target column is set (``target_kind`` says which).
reflections = Table(
    "reflections",
    metadata,
    Column("id", Uuid, primary_key=True),
    _district_fk(),
    Column(
        "learner_id",
        Uuid,
        ForeignKey("learner_profiles.learner_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("target_kind", String(10), nullable=False),
    Column("step_id", Uuid, nullable=True),
    Column("skill_code", String(40), nullable=True),
    Column("goal_id", Uuid, ForeignKey("goals.id", ondelete="CASCADE"), nullable=True),
    Column("confidence", Integer, nullable=False),
    Column("journal", String(2000), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("target_kind IN ('step', 'skill', 'goal')", name="target_kind"),
    CheckConstraint("confidence BETWEEN 1 AND 4", name="confidence"),
    Index("ix_reflections_learner_id", "learner_id", "id"),
    # The latest confidence per skill (the calibration read) walks this one.
    Index("ix_reflections_learner_skill", "learner_id", "skill_code", "id"),
)

# Replies of the learner's teachers (and admins) to a reflection.
reflection_replies = Table(
    "reflection_replies",
    metadata,
    Column("id", Uuid, primary_key=True),
    _district_fk(),
    Column("reflection_id", Uuid, ForeignKey("reflections.id", ondelete="CASCADE"), nullable=False),
    Column("learner_id", Uuid, nullable=False),
    Column("author", String(200), nullable=False),
    Column("author_role", String(20), nullable=False),
    Column("body", String(2000), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_reflection_replies_reflection_id", "reflection_id", "id"),
)

# A student voice survey (docs/profiles.md, "Student voice surveys"): its questions as sent, never
# edited afterwards (answers name questions by position), and who created it.
surveys = Table(
    "surveys",
    metadata,
    Column("id", Uuid, primary_key=True),
    _district_fk(),
    Column("title", String(200), nullable=False),
    Column("questions", JSON, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_by_role", String(20), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_surveys_district_creator", "district_id", "created_by", "id"),
)

# One survey sent to one learner, and the learner's answers once given (answered once: a second
# answer is refused). ``applied_fields`` names the profile fields the learner's consent changed.
survey_assignments = Table(
    "survey_assignments",
    metadata,
    Column("id", Uuid, primary_key=True),
    _district_fk(),
    Column("survey_id", Uuid, ForeignKey("surveys.id", ondelete="CASCADE"), nullable=False),
    Column(
        "learner_id",
        Uuid,
        ForeignKey("learner_profiles.learner_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("class_id", Uuid, nullable=True),
    Column("sent_by", String(200), nullable=False),
    Column("sent_at", UTCDateTime, nullable=False),
    Column("answered_at", UTCDateTime, nullable=True),
    Column("answers", JSON, nullable=True),
    Column("applied_fields", JSON, nullable=True),
    UniqueConstraint("survey_id", "learner_id"),
    Index("ix_survey_assignments_learner_id", "learner_id", "id"),
)

profile_history = Table(
    "profile_history",
    metadata,
    Column("id", Uuid, primary_key=True),
    _district_fk(),
    Column("learner_id", Uuid, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("actor_roles", JSON, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("part", String(20), nullable=False),
    Column("target_id", Uuid, nullable=True),
    Column("fields", JSON, nullable=False),
    Column("before", JSON, nullable=False),
    Column("after", JSON, nullable=False),
    Index("ix_profile_history_learner_id_id", "learner_id", "id"),
)

import_jobs = Table(
    "import_jobs",
    metadata,
    Column("id", Uuid, primary_key=True),
    _district_fk(),
    Column("state", String(20), nullable=False),
    Column("source", String(20), nullable=False),
    Column("dry_run", Boolean, nullable=False),
    Column("strict", Boolean, nullable=False),
    Column("force", Boolean, nullable=False),
    Column("rows_done", Integer, nullable=False, server_default="0"),
    Column("rows_total", Integer, nullable=False, server_default="0"),
    Column("report", JSON, nullable=True),
    Column("error", Text, nullable=True),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime, nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
    # host:pid:token of the process running the job: on start-up, jobs of a dead one are failed
    Column("runner", String(200), nullable=True),
    Column("idempotency_key", String(200), nullable=True),
    Column("request_hash", String(64), nullable=True),
    CheckConstraint(
        "state IN ('queued', 'running', 'succeeded', 'failed', 'refused')", name="state"
    ),
    Index("ix_import_jobs_district_id_id", "district_id", "id"),
    # One import at a time per district: two would diff against the same snapshot and collide.
    Index(
        "uq_import_jobs_one_active",
        "district_id",
        unique=True,
        sqlite_where=text(ACTIVE_IMPORT),
        postgresql_where=text(ACTIVE_IMPORT),
    ),
    Index(
        "uq_import_jobs_idempotency_key",
        "district_id",
        "created_by",
        "idempotency_key",
        unique=True,
    ),
)

# The change feed (docs/profiles.md, "Change feed"): one row per roster or learner object a
# transaction created, changed or deleted, numbered per district in commit order. ``seq`` is given
# by ``change_counters`` just before the commit (service/change_log.py says why there).
roster_changes = Table(
    "roster_changes",
    metadata,
    Column("district_id", Uuid, ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("object_type", String(30), nullable=False),
    Column("object_id", Uuid, nullable=False),
    Column("operation", String(10), nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
    CheckConstraint("operation IN ('upsert', 'delete')", name="operation"),
)

# The last ``seq`` of each district's change feed; its row lock orders the district's commits.
change_counters = Table(
    "change_counters",
    metadata,
    Column("district_id", Uuid, ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True),
    Column("last", BigInteger, nullable=False),
)


# Notifications (docs/profiles.md, "Notifications"): one row per recipient of an event.
# ``source_event_id`` + ``user_id`` is unique, so a redelivered event adds nothing. ``in_feed``:
# the user wants this kind in the app (a row kept for email/SMS only is not shown). ``channels``
# are the external channels (email, sms) to deliver on; ``deliver_at`` is when, while not yet
# sent (the end of the user's quiet hours), and NULL once ``notification.created`` is written.
notifications = Table(
    "notifications",
    metadata,
    Column("id", Uuid, primary_key=True),
    _district_fk(),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("learner_id", Uuid, nullable=True),
    Column("source_event_id", Uuid, nullable=False),
    Column("title", String(100), nullable=False),
    Column("body", String(500), nullable=False),
    Column("refs", JSON, nullable=False),
    Column("in_feed", Boolean, nullable=False),
    Column("channels", JSON, nullable=False),
    Column("deliver_at", UTCDateTime, nullable=True),
    Column("delivered_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("read_at", UTCDateTime, nullable=True),
    UniqueConstraint("source_event_id", "user_id"),
    # The feed: a user's rows newest first (ids are UUIDv7).
    Index("ix_notifications_user_id_id", "user_id", "id"),
    # The sweep: rows whose external delivery waits for the end of quiet hours.
    Index("ix_notifications_deliver_at", "deliver_at"),
)

# A user's choices: per kind, per channel on/off (kinds not named keep the defaults), and quiet
# hours (local start/end "HH:MM" in an IANA zone; all three or none).
notification_preferences = Table(
    "notification_preferences",
    metadata,
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    _district_fk(),
    Column("channels", JSON, nullable=False),
    Column("quiet_start", String(5), nullable=True),
    Column("quiet_end", String(5), nullable=True),
    Column("time_zone", String(64), nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Messages about a learner (docs/profiles.md, "Messages"): a thread, its participants (each with
# their read receipt: the last message ``seq`` they read), its messages numbered 1, 2, … within
# the thread (``last_seq`` on the thread, bumped under its row lock), and their attachments (the
# file is in the message file store under ``storage_key``, random, never the client's name).
message_threads = Table(
    "message_threads",
    metadata,
    Column("id", Uuid, primary_key=True),
    _district_fk(),
    Column("learner_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("created_by", Uuid, nullable=False),
    Column("last_seq", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_message_at", UTCDateTime, nullable=False),
    Index("ix_message_threads_district_learner", "district_id", "learner_id", "id"),
)

thread_participants = Table(
    "thread_participants",
    metadata,
    Column(
        "thread_id",
        Uuid,
        ForeignKey("message_threads.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("district_id", Uuid, nullable=False),
    Column("role", String(20), nullable=False),
    Column("read_seq", Integer, nullable=False, server_default="0"),
    Column("read_at", UTCDateTime, nullable=True),
    CheckConstraint("role IN ('teacher', 'guardian', 'school_admin', 'student')", name="role"),
    # "My threads": every thread of one user.
    Index("ix_thread_participants_user_id", "user_id", "thread_id"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Uuid, primary_key=True),
    _district_fk(),
    Column("thread_id", Uuid, ForeignKey("message_threads.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("author_id", Uuid, nullable=False),
    Column("body", String(4000), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("thread_id", "seq"),
)

message_attachments = Table(
    "message_attachments",
    metadata,
    Column("id", Uuid, primary_key=True),
    _district_fk(),
    Column("message_id", Uuid, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
    Column("thread_id", Uuid, nullable=False),
    Column("storage_key", String(200), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("filename", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("storage_key"),
    Index("ix_message_attachments_message_id", "message_id"),
)

# Legal holds and retention (docs/privacy.md): one hold row per learner, kept when lifted (who
# lifted it and when) so the record of the hold outlives it; a district's retention policy (no
# row: the defaults, off); the learners the scheduled evaluation found due for deletion.
legal_holds = Table(
    "legal_holds",
    metadata,
    Column("learner_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    _district_fk(),
    Column("set_by", String(200), nullable=False),
    Column("set_at", UTCDateTime, nullable=False),
    Column("reason", String(1000), nullable=False),
    Column("until", Date, nullable=True),
    Column("lifted_by", String(200), nullable=True),
    Column("lifted_at", UTCDateTime, nullable=True),
    Index("ix_legal_holds_district_id", "district_id"),
)

retention_policies = Table(
    "retention_policies",
    metadata,
    Column("district_id", Uuid, ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("delete_after_days_since_leaving", Integer, nullable=False),
    Column("delete_after_days_since_leaving_under_13", Integer, nullable=True),
    Column("audit_log_days", Integer, nullable=True),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # The scheduled evaluation's last run over this district (null: not yet).
    Column("last_run_at", UTCDateTime, nullable=True),
)

# ``pending``: due, for the deletion job to take; ``held``: due and held back by a legal hold.
# The evaluation rewrites pending and held rows each run. ``deleted`` is allowed but not written:
# the erase removes the learner's row with their others, and ``retention_deletions`` records it.
pending_deletions = Table(
    "pending_deletions",
    metadata,
    Column("learner_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    _district_fk(),
    Column("state", String(10), nullable=False),
    Column("rule", String(20), nullable=False),
    Column("left_on", Date, nullable=False),
    Column("due_since", Date, nullable=False),
    Column("found_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("state IN ('pending', 'held', 'deleted')", name="state"),
    CheckConstraint("rule IN ('left', 'left_under_13')", name="rule"),
    Index("ix_pending_deletions_district_id_state", "district_id", "state"),
)

# A learner the retention policy had erased, by the deletion's id and tombstone, never the
# learner's id: the district's record that its policy was carried out (the retention report).
# Written by the deletion job once the learner is erased everywhere but the gateway.
retention_deletions = Table(
    "retention_deletions",
    metadata,
    Column("deletion_id", Uuid, primary_key=True),
    _district_fk(),
    Column("tombstone", String(64), nullable=False),
    Column("rule", String(20), nullable=False),
    Column("left_on", Date, nullable=False),
    Column("due_since", Date, nullable=False),
    Column("deleted_at", UTCDateTime, nullable=False),
    CheckConstraint("rule IN ('left', 'left_under_13')", name="rule"),
    Index("ix_retention_deletions_district_id", "district_id", "deleted_at"),
)
