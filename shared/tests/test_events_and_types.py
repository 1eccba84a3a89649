"""The event envelope and the UTC column type."""

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from pathwise_shared.db.types import UTCDateTime
from pathwise_shared.events import EventEnvelope, new_event


def test_new_event_ids_sort_by_creation() -> None:
    events = [
        new_event("mastery.changed", district_id=uuid.uuid4(), subject="s", data={})
        for _ in range(50)
    ]
    assert [e.id for e in events] == sorted((e.id for e in events), key=lambda u: u.bytes)
    assert all(e.occurred_at.tzinfo is not None for e in events)


@pytest.mark.parametrize("bad_type", ["mastery", "Mastery.Changed", "mastery..changed", "x"])
def test_event_type_must_be_dotted_lowercase(bad_type: str) -> None:
    with pytest.raises(ValidationError):
        new_event(bad_type, district_id=None, subject="s", data={})


def test_envelope_refuses_unknown_fields() -> None:
    event = new_event("learner.created", district_id=None, subject="learner/1", data={"a": 1})
    with pytest.raises(ValidationError):
        EventEnvelope.model_validate({**event.model_dump(), "extra": 1})


def test_utc_datetime_normalises_and_refuses_naive() -> None:
    column = UTCDateTime()
    plus_two = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    assert column.process_bind_param(plus_two, None) == datetime(2026, 1, 1, 10, tzinfo=UTC)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="naive"):
        column.process_bind_param(datetime(2026, 1, 1), None)  # type: ignore[arg-type]
    assert column.process_result_value(datetime(2026, 1, 1), None).tzinfo is UTC  # type: ignore[arg-type,union-attr]
