"""The subject of the assessment service's events (docs/events.md, "Order")."""

import uuid

__all__ = ["learner_subject"]


def learner_subject(learner_id: uuid.UUID) -> str:
    """One subject for all of a learner's assessment events (``response.scored``,
    ``mastery.changed``, ``attempt.completed``), so their ``sequence`` orders them: an attempt's
    scored responses come before its completion, and mastery changes of any skill in the order
    they were applied. Not ``learner/<id>`` itself, which is profiles': a subject has one writer,
    hence one counter."""
    return f"learner/{learner_id}/assessment"
