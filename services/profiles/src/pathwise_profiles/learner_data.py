"""Profiles' learner data map: every table, and how it relates to a learner (docs/privacy.md).

Read by the export (``GET /internal/learners/{id}/export``) and checked by
``tests/test_learner_data_map.py``: a table added to ``models.py`` without an entry here fails.
"""

from pathwise_profiles import models as m
from pathwise_shared.db.learner_data import (
    Anywhere,
    LearnerDataMap,
    LearnerTable,
    NoLearnerData,
    Subject,
    Via,
)

__all__ = ["LEARNER_DATA"]

LEARNER_DATA = LearnerDataMap(
    "profiles",
    m.Base.metadata,
    (
        # Roster facts.
        LearnerTable(m.users, learner_columns=("id",), note="the learner's roster record"),
        LearnerTable(m.user_roles, learner_columns=("user_id",)),
        LearnerTable(m.user_schools, learner_columns=("user_id",)),
        LearnerTable(m.enrollments, learner_columns=("user_id",)),
        LearnerTable(
            m.guardian_links,
            learner_columns=("student_id",),
            note="the learner's guardians (guardian_id names the guardian, not the learner)",
        ),
        NoLearnerData(m.districts, why="the tenant: a name, no person"),
        NoLearnerData(m.schools, why="organisations of the roster"),
        NoLearnerData(m.academic_sessions, why="terms of the school calendar"),
        NoLearnerData(m.courses, why="the course catalogue"),
        NoLearnerData(m.classes, why="classes; who is in one is in enrollments"),
        # The profile and its history.
        LearnerTable(m.learner_profiles, learner_columns=("learner_id",)),
        LearnerTable(
            m.profile_history,
            learner_columns=("learner_id",),
            mentions=("actor",),
            note="every change of the profile, goals, comments: who, when, before and after",
        ),
        LearnerTable(m.goals, learner_columns=("learner_id",)),
        LearnerTable(m.goal_comments, learner_columns=("learner_id",), mentions=("author",)),
        LearnerTable(m.reflections, learner_columns=("learner_id",)),
        LearnerTable(m.reflection_replies, learner_columns=("learner_id",), mentions=("author",)),
        NoLearnerData(
            m.surveys,
            why="a survey's questions, written by staff (created_by is the teacher); the "
            "learner's answers are in survey_assignments",
        ),
        LearnerTable(m.survey_assignments, learner_columns=("learner_id",)),
        # Notifications: those about the learner, and the learner's own feed.
        LearnerTable(m.notifications, learner_columns=("user_id", "learner_id")),
        LearnerTable(m.notification_preferences, learner_columns=("user_id",)),
        # Messages: the threads about the learner, and any thread the learner takes part in.
        LearnerTable(m.message_threads, learner_columns=("learner_id",), mentions=("created_by",)),
        LearnerTable(
            m.thread_participants,
            learner_columns=("user_id",),
            via=Via("thread_id", m.message_threads),
        ),
        LearnerTable(m.messages, mentions=("author_id",), via=Via("thread_id", m.message_threads)),
        LearnerTable(
            m.message_attachments,
            via=Via("thread_id", m.message_threads),
            files=("storage_key",),
        ),
        # Retention and legal holds (docs/privacy.md).
        LearnerTable(
            m.legal_holds,
            learner_columns=("learner_id",),
            note="a hold on the learner's records: who placed it, why, until when; kept when "
            "lifted",
        ),
        LearnerTable(
            m.pending_deletions,
            learner_columns=("learner_id",),
            note="the retention evaluation found the learner due for deletion (or held back)",
        ),
        NoLearnerData(
            m.retention_deletions,
            why="a learner the retention policy had erased, by tombstone and deletion id: "
            "never the learner's id",
        ),
        NoLearnerData(
            m.retention_policies,
            why="a district's retention periods (updated_by is the administrator)",
        ),
        # Machinery.
        NoLearnerData(
            m.import_jobs,
            why="a roster import's progress and report (created_by is the administrator); the "
            "rows it wrote are in the roster tables",
        ),
        LearnerTable(
            m.roster_changes,
            learner_columns=("object_id",),
            note="the change feed's markers of the learner's roster record (no content); a "
            "deletion must leave a 'deleted' marker for the syncing systems",
        ),
        NoLearnerData(m.change_counters, why="a per-district counter"),
        LearnerTable(
            m.outbox,
            learner_columns=(
                Subject("subject"),
                Subject("subject", prefix="user/"),
                Anywhere("envelope"),
            ),
            note="events not yet relayed, or kept after relaying; the gateway's event log has "
            "the same envelopes",
        ),
        LearnerTable(
            m.event_sequences,
            learner_columns=(Subject("subject"), Subject("subject", prefix="user/")),
            note="the per-subject event counter: no content, but the key names the learner",
        ),
    ),
)
