"""Bodies of the events routes: the ingest batch and answer, the public catalog."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pathwise_shared.events import EventEnvelope
from pathwise_shared.inputs import StrictBody

__all__ = ["MAX_BATCH", "Catalog", "CatalogEntry", "EventBatch", "IngestAnswer"]

MAX_BATCH = 1000


class EventBatch(StrictBody):
    events: list[EventEnvelope] = Field(max_length=MAX_BATCH)


class IngestAnswer(BaseModel):
    accepted: int = Field(description="Events stored now")
    duplicates: int = Field(description="Events already stored (acknowledged, nothing added)")


class CatalogEntry(BaseModel):
    type: str
    description: str
    schema_: dict[str, Any] = Field(alias="schema", description="JSON Schema of `data`")

    model_config = ConfigDict(populate_by_name=True)


class Catalog(BaseModel):
    items: list[CatalogEntry]
    envelope: dict[str, Any] = Field(
        description="JSON Schema of the webhook body around `data`, with `sequence` "
        "(docs/events.md, Order)"
    )
