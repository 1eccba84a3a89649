"""Reading the audit log: a district admin's search, an admin's view of one learner, and a
guardian's "who looked at my child's records", each entry resolved to names when it is read.

The log is buffered (see ``service/audit.py``); readers flush it first, so an answer includes
every call answered before the query. Entries are only ever appended, never changed: they keep
ids (who acted, on which learner), and names are looked up at read time, so a renamed person
reads with their name of today and a person since deleted reads as a placeholder. One page
costs one call to profiles (``POST /internal/people/names``, as the caller, so profiles answers
for the caller's district only) and one query of the gateway's own clients, whatever its size.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_gateway.models import AuditEntry
from pathwise_gateway.proxy.domain.audit_phrases import (
    ANOTHER_GUARDIAN,
    RECORDED_AS,
    another_guardian,
    phrase_of,
    purpose_of,
    role_words,
    sentence,
)
from pathwise_gateway.proxy.domain.route_table import RouteTable
from pathwise_gateway.proxy.repository.audit import client_names, list_entries
from pathwise_gateway.proxy.schemas import ReadableEntry
from pathwise_gateway.proxy.service.audit import AuditLog
from pathwise_gateway.proxy.service.upstreams import Upstream, failure_reason
from pathwise_shared.auth import Principal
from pathwise_shared.problems import ServiceUnavailable, UnprocessableContent

__all__ = [
    "UNKNOWN_CLIENT",
    "UNKNOWN_LEARNER",
    "UNKNOWN_PERSON",
    "AuditFilter",
    "learner_access_log",
    "learner_audit",
    "operation_filter",
    "search_audit",
]

# Placeholders for ids that name nobody any more (deleted from the roster, a revoked and removed
# client) or nobody profiles will name for this caller: clear words, never an id, never a 5xx.
UNKNOWN_PERSON = "Someone no longer in the district's roster"
UNKNOWN_LEARNER = "A learner no longer in the district's roster"
UNKNOWN_CLIENT = "An integration no longer registered"
_CLIENT_PREFIX = "client:"


@dataclass(frozen=True)
class AuditFilter:
    learner_id: uuid.UUID | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before: uuid.UUID | None = None
    operation: str | None = None


def operation_filter(table: RouteTable, value: str | None) -> str | None:
    """The recorded operation a filter names: an operation id as it is, or ``METHOD /template``
    (``GET /v1/learners/{learner_id}/profile``) looked up in the route table. A template that
    names no operation is a 422, not an empty page: the caller mistyped it."""
    if value is None or " " not in value:
        return value
    method, _, template = value.partition(" ")
    method, template = method.upper(), template.strip()
    own = RECORDED_AS.get((method, template))
    if own is not None:
        return own
    for op in table.operations:
        if op.method == method and op.template == template:
            return op.operation_id
    raise UnprocessableContent(
        f"No operation {method} {template}: give an operation id or METHOD and the route "
        "template, e.g. GET /v1/learners/{learner_id}/profile.",
        slug="unknown-operation",
    )


async def _people(
    profiles: Upstream, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Display names of users, as the caller (profiles scopes them to its district), through
    the circuit breaker; unavailable → 503 with Retry-After (a page of unnamed entries would
    tell a guardian nothing)."""
    if not ids:
        return {}
    breaker = profiles.breaker
    if not breaker.allow():
        raise ServiceUnavailable(
            "The profiles service is unavailable.",
            headers={"Retry-After": str(breaker.retry_after())},
        )
    try:
        response = await profiles.caller.request(
            "POST",
            "/internal/people/names",
            principal,
            json={"ids": [str(i) for i in ids]},
        )
    except ServiceUnavailable as exc:
        breaker.record_failure(failure_reason(exc))
        raise
    breaker.record_answer(response.status_code, response.headers, response.content)
    body: Any = profiles.caller.answer(response)
    names: dict[uuid.UUID, str] = {}
    people = body.get("people") if isinstance(body, dict) else None
    for person in people if isinstance(people, list) else []:
        if not isinstance(person, dict):
            continue
        try:
            names[uuid.UUID(str(person.get("id")))] = str(person.get("display_name") or "")
        except ValueError:
            continue
    return names


def _user_id(entry: AuditEntry) -> uuid.UUID | None:
    if entry.actor_kind != "user":
        return None
    try:
        return uuid.UUID(entry.actor)
    except ValueError:
        return None


def _roles(entry: AuditEntry) -> list[str]:
    return entry.actor_roles if isinstance(entry.actor_roles, list) else []


async def _readable(
    session: AsyncSession,
    profiles: Upstream,
    principal: Principal,
    rows: Sequence[AuditEntry],
    viewer: str | None = None,
) -> list[ReadableEntry]:
    """``viewer``: the guardian's view, in which guardians other than ``viewer`` are shown by
    their role only (their names are not even looked up)."""
    district = principal.require_district()

    def masked(row: AuditEntry) -> bool:
        return viewer is not None and another_guardian(
            viewer, row.actor, row.actor_kind, _roles(row)
        )

    people: dict[uuid.UUID, None] = {}
    clients: dict[str, None] = {}
    for row in rows:
        uid = _user_id(row)
        if uid is not None and not masked(row):
            people[uid] = None
        elif row.actor_kind == "client":
            clients[row.actor.removeprefix(_CLIENT_PREFIX)] = None
        if row.learner_id is not None:
            people[row.learner_id] = None
    names = await _people(profiles, principal, list(people))
    client_name = await client_names(session, district, list(clients))
    readable: list[ReadableEntry] = []
    for row in rows:
        uid = _user_id(row)
        hidden = masked(row)
        if hidden:
            actor_name = ANOTHER_GUARDIAN
        elif uid is not None:
            actor_name = names.get(uid) or UNKNOWN_PERSON
        elif row.actor_kind == "client":
            actor_name = client_name.get(row.actor.removeprefix(_CLIENT_PREFIX)) or UNKNOWN_CLIENT
        else:
            actor_name = UNKNOWN_PERSON
        learner_name = None
        if row.learner_id is not None:
            learner_name = names.get(row.learner_id) or UNKNOWN_LEARNER
        roles = _roles(row)
        phrase = phrase_of(row.operation, row.action)
        readable.append(
            ReadableEntry(
                entry=row,
                actor_name=actor_name,
                actor_role=role_words(row.actor_kind, roles),
                learner_name=learner_name,
                activity=phrase.text,
                purpose=purpose_of(row.actor_kind, roles, phrase.area),
                summary=sentence(
                    actor_name, row.actor_kind, roles, phrase, row.status, with_role=not hidden
                ),
                actor_hidden=hidden,
            )
        )
    return readable


async def search_audit(
    session: AsyncSession,
    audit: AuditLog,
    profiles: Upstream,
    principal: Principal,
    found: AuditFilter,
    limit: int,
) -> list[ReadableEntry]:
    await audit.flush()
    rows = await list_entries(
        session,
        principal.require_district(),
        learner_id=found.learner_id,
        actor=found.actor,
        before=found.before,
        limit=limit,
        since=found.since,
        until=found.until,
        operation=found.operation,
    )
    return await _readable(session, profiles, principal, rows)


async def learner_audit(
    session: AsyncSession,
    audit: AuditLog,
    profiles: Upstream,
    principal: Principal,
    learner_id: uuid.UUID,
    before: uuid.UUID | None,
    limit: int,
    viewer: str | None = None,
) -> list[ReadableEntry]:
    """Who read or changed this learner's records. The route's declared object check has run
    (no relation to the learner → 403, another district's learner → 404). ``viewer``: the
    guardian's view (see ``_readable``)."""
    await audit.flush()
    rows = await list_entries(
        session,
        principal.require_district(),
        learner_id=learner_id,
        actor=None,
        before=before,
        limit=limit,
    )
    return await _readable(session, profiles, principal, rows, viewer)


async def learner_access_log(
    session: AsyncSession,
    audit: AuditLog,
    profiles: Upstream,
    principal: Principal,
    learner_id: uuid.UUID,
    page: int = 500,
    viewer: str | None = None,
) -> list[ReadableEntry]:
    """All of the learner's entries, newest first, names resolved at read time (the export's
    ``access_log.json``; the caller's right to it was checked when the export was asked for).
    ``viewer``: a guardian's export, in which other guardians are not named."""
    await audit.flush()
    found: list[ReadableEntry] = []
    before: uuid.UUID | None = None
    while True:
        rows = await list_entries(
            session,
            principal.require_district(),
            learner_id=learner_id,
            actor=None,
            before=before,
            limit=page,
        )
        found.extend(await _readable(session, profiles, principal, rows[:page], viewer))
        if len(rows) <= page:
            return found
        before = rows[page - 1].id
