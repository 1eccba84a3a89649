"""Pathways' learner data map: every table, and how it relates to a learner (docs/privacy.md).

Read by the export (``GET /internal/learners/{id}/export``) and checked by
``tests/test_learner_data_map.py``: a table added to ``models.py`` without an entry here fails.
"""

from pathwise_pathways.models import Base
from pathwise_shared.db.learner_data import (
    Anywhere,
    LearnerDataMap,
    LearnerTable,
    NoLearnerData,
    Subject,
    Via,
)

__all__ = ["LEARNER_DATA"]

_t = Base.metadata.tables

LEARNER_DATA = LearnerDataMap(
    "pathways",
    Base.metadata,
    (
        # Content: shared by everyone, written by staff.
        NoLearnerData(
            _t["frameworks"], why="skill frameworks (owner_id is the staff member who owns one)"
        ),
        NoLearnerData(_t["skills"], why="a framework's skills"),
        NoLearnerData(_t["skill_edges"], why="links between skills"),
        NoLearnerData(_t["framework_associations"], why="CASE associations between skills"),
        NoLearnerData(
            _t["activities"],
            why="the activity catalogue (owner_id is the staff member who owns one; a "
            "supervisor's contact is an adult's, not a learner's)",
        ),
        NoLearnerData(_t["activity_skills"], why="which skills an activity practises"),
        # The pathway and its versions.
        LearnerTable(_t["pathways"], learner_columns=("learner_id",)),
        LearnerTable(_t["pathway_steps"], via=Via("pathway_id", _t["pathways"])),
        LearnerTable(
            _t["pathway_versions"], mentions=("actor",), via=Via("pathway_id", _t["pathways"])
        ),
        LearnerTable(
            _t["pathway_proposals"], learner_columns=("learner_id",), mentions=("author",)
        ),
        LearnerTable(
            _t["pathway_proposal_revisions"],
            mentions=("actor",),
            via=Via("proposal_id", _t["pathway_proposals"]),
        ),
        LearnerTable(_t["step_evidence_rules"], learner_columns=("learner_id",)),
        # Portfolio and evidence.
        LearnerTable(
            _t["portfolio_artifacts"],
            learner_columns=("learner_id",),
            files=("storage_key",),
            omit=("request_hash",),
        ),
        LearnerTable(
            _t["portfolio_feedback"],
            mentions=("author_id",),
            via=Via("artifact_id", _t["portfolio_artifacts"]),
        ),
        LearnerTable(_t["evidence_submissions"], learner_columns=("learner_id",)),
        # Grouping, flags, consents.
        NoLearnerData(
            _t["class_groupings"],
            why="a class's grouping run (strategy, group sizes; created_by is the teacher); "
            "which group a learner is in is in group_assignments",
        ),
        LearnerTable(_t["group_assignments"], learner_columns=("learner_id",)),
        LearnerTable(_t["learner_flags"], learner_columns=("learner_id",)),
        LearnerTable(_t["activity_consents"], learner_columns=("learner_id",)),
        LearnerTable(
            _t["consent_requests"],
            learner_columns=("learner_id",),
            note="the learner's guardians were asked for a consent to this activity",
        ),
        # Machinery.
        NoLearnerData(
            _t["processed_events"],
            why="ids of events already applied (dedupe), no content",
        ),
        LearnerTable(_t["outbox"], learner_columns=(Subject("subject"), Anywhere("envelope"))),
        LearnerTable(_t["event_sequences"], learner_columns=(Subject("subject"),)),
    ),
)
