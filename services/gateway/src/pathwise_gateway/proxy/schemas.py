"""Bodies of the proxy's own routes: the audit log's entries, for admins and for guardians."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, Field

from pathwise_gateway.models import AuditEntry

__all__ = ["AccessLogEntryOut", "AuditEntryOut", "ReadableEntry"]


@dataclass(frozen=True)
class ReadableEntry:
    """An entry with its people named and its operation in plain words (built by
    ``service/audit_queries.py`` when the log is read)."""

    entry: AuditEntry
    actor_name: str
    actor_role: str  # the role(s) the actor acted in, in words
    learner_name: str | None
    activity: str  # the operation's phrase: "viewed the learning profile"
    purpose: str
    summary: str  # the whole sentence
    # Another guardian in a guardian's view: no name, and no id either (``AuditEntryOut``).
    actor_hidden: bool = False


class AuditEntryOut(BaseModel):
    """One audit entry as recorded (ids), with its people named and its operation in words
    (names are looked up when the log is read)."""

    id: uuid.UUID
    occurred_at: datetime
    actor: str = Field(
        description="The user id, or client:<client id> of an integration; empty for another "
        "guardian of the learner in a guardian's export"
    )
    actor_kind: str
    actor_roles: list[str] = Field(description="The roles (or scopes) the actor acted with")
    actor_name: str = Field(
        description="The user's or integration's name now; a placeholder for someone no longer "
        "in the roster",
        examples=["Ana Rivera"],
    )
    actor_role: str = Field(description="actor_roles in words", examples=["teacher"])
    learner_id: uuid.UUID | None
    learner_name: str | None = Field(description="The learner's name now", examples=["Liam Chen"])
    class_id: uuid.UUID | None
    operation: str
    action: str
    method: str
    path: str
    status: int
    request_id: str
    activity: str = Field(
        description="The operation in words", examples=["viewed the learning profile"]
    )
    purpose: str = Field(description="Why, from the role and the operation", examples=["teaching"])
    summary: str = Field(
        description="The whole entry in one sentence",
        examples=["Ana Rivera (teacher) viewed the learning profile"],
    )

    @classmethod
    def of(cls, found: ReadableEntry) -> "AuditEntryOut":
        e = found.entry
        return cls(
            id=e.id,
            occurred_at=e.occurred_at,
            actor="" if found.actor_hidden else e.actor,
            actor_kind=e.actor_kind,
            actor_roles=list(e.actor_roles),
            actor_name=found.actor_name,
            actor_role=found.actor_role,
            learner_id=e.learner_id,
            learner_name=found.learner_name,
            class_id=e.class_id,
            operation=e.operation,
            action=e.action,
            method=e.method,
            path=e.path,
            status=e.status,
            request_id=e.request_id,
            activity=found.activity,
            purpose=found.purpose,
            summary=found.summary,
        )


class AccessLogEntryOut(BaseModel):
    """Who viewed or changed the learner's records, in plain words: a name and a role, never
    an id of a member of staff, a path or a request id."""

    occurred_at: datetime
    actor_name: str = Field(examples=["Ana Rivera"])
    actor_role: str = Field(examples=["teacher"])
    action: str = Field(description="read or write", examples=["read"])
    activity: str = Field(examples=["viewed the learning profile"])
    purpose: str = Field(examples=["teaching"])
    succeeded: bool = Field(description="false: the request failed and showed or changed nothing")
    summary: str = Field(examples=["Ana Rivera (teacher) viewed the learning profile"])

    @classmethod
    def of(cls, found: ReadableEntry) -> "AccessLogEntryOut":
        e = found.entry
        return cls(
            occurred_at=e.occurred_at,
            actor_name=found.actor_name,
            actor_role=found.actor_role,
            action=e.action,
            activity=found.activity,
            purpose=found.purpose,
            succeeded=e.status < 400,
            summary=found.summary,
        )
