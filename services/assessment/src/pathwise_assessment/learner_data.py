"""Assessment's learner data map: every table, and how it relates to a learner
(docs/privacy.md).

Read by the export (``GET /internal/learners/{id}/export``) and checked by
``tests/test_learner_data_map.py``: a table added to ``models.py`` without an entry here fails.
"""

from pathwise_assessment.models import Base
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
    "assessment",
    Base.metadata,
    (
        # Content: written by staff.
        NoLearnerData(_t["items"], why="the item bank (created_by/owner_id are staff)"),
        NoLearnerData(_t["item_versions"], why="an item's versions (created_by is staff)"),
        NoLearnerData(_t["item_skills"], why="which skills an item measures"),
        NoLearnerData(_t["assessments"], why="assessments (created_by/owner_id are staff)"),
        NoLearnerData(_t["assessment_items"], why="an assessment's items"),
        NoLearnerData(
            _t["skill_params"], why="a district's fitted per-skill parameters, no learner"
        ),
        NoLearnerData(
            _t["mastery_fits"],
            why="a fitting run's counts and parameters over the district (requested_by is an "
            "administrator); no learner's rows",
        ),
        NoLearnerData(
            _t["issuer_keys"], why="the district's credential signing keys (secret, no person)"
        ),
        # Attempts and responses.
        LearnerTable(_t["attempts"], learner_columns=("learner_id",), omit=("request_hash",)),
        LearnerTable(_t["attempt_items"], via=Via("attempt_id", _t["attempts"])),
        LearnerTable(_t["responses"], learner_columns=("learner_id",)),
        # Mastery and its evidence.
        LearnerTable(_t["mastery_states"], learner_columns=("learner_id",)),
        LearnerTable(_t["mastery_history"], learner_columns=("learner_id",)),
        LearnerTable(_t["evidence_records"], learner_columns=("learner_id",)),
        LearnerTable(_t["practice_days"], learner_columns=("learner_id",)),
        # Recognition.
        LearnerTable(_t["badges"], learner_columns=("learner_id",)),
        LearnerTable(_t["credentials"], learner_columns=("learner_id",), omit=("request_hash",)),
        LearnerTable(_t["motivation_preferences"], learner_columns=("learner_id",)),
        LearnerTable(_t["flag_notices"], learner_columns=("learner_id",)),
        # Machinery.
        LearnerTable(_t["outbox"], learner_columns=(Subject("subject"), Anywhere("envelope"))),
        LearnerTable(_t["event_sequences"], learner_columns=(Subject("subject"),)),
    ),
)
