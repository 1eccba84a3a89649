"""Bodies of the proxy's own routes: the audit log's entries."""

import uuid
from datetime import datetime

from pydantic import BaseModel

from pathwise_gateway.models import AuditEntry

__all__ = ["AuditEntryOut"]


class AuditEntryOut(BaseModel):
    id: uuid.UUID
    occurred_at: datetime
    actor: str
    actor_kind: str
    actor_roles: list[str]
    learner_id: uuid.UUID | None
    class_id: uuid.UUID | None
    operation: str
    action: str
    method: str
    path: str
    status: int
    request_id: str

    @classmethod
    def of(cls, entry: AuditEntry) -> "AuditEntryOut":
        return cls.model_validate(entry, from_attributes=True)
