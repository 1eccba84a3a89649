"""The transactional outbox: an event is a row written in the same transaction as its change.

A relay (see ``pathwise_shared.relay``) later sends unpublished rows to the gateway's event ingest.

Every event is numbered here, per subject (docs/events.md, "Order"): ``event_sequences`` holds
one counter per subject, bumped by an upsert in the transaction that writes the outbox row. The
upsert locks the subject's counter row until the commit, so two transactions writing events of
one subject are serialized on it and get consecutive numbers; writers of other subjects do not
wait. A rolled-back transaction rolls its numbers back too, so the numbers that reach the outbox
have no gaps. The same statement works on SQLite (≥ 3.35, for ``RETURNING``) and PostgreSQL.
"""

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, Text, Uuid, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_shared.db.driver import HotStatement
from pathwise_shared.db.types import UTCDateTime
from pathwise_shared.db.uow import core
from pathwise_shared.events import EventEnvelope

__all__ = [
    "SEQUENCES_TABLE",
    "enqueue_event",
    "enqueue_events",
    "event_sequences_table",
    "outbox_of",
    "outbox_row",
    "outbox_table",
    "publish",
    "publish_many",
    "sequence_events",
]

SEQUENCES_TABLE = "event_sequences"


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("id", Uuid, primary_key=True),
        Column("event_type", String(100), nullable=False),
        Column("district_id", Uuid, nullable=True),
        Column("subject", String(200), nullable=False),
        Column("envelope", JSON, nullable=False),
        Column("occurred_at", UTCDateTime, nullable=False),
        Column("published_at", UTCDateTime, nullable=True),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("last_error", Text, nullable=True),
        Index("ix_outbox_unpublished", "published_at", "id"),
    )


def event_sequences_table(metadata: MetaData) -> Table:
    """The per-subject counters; declare it beside the outbox (``enqueue_event`` looks it up in
    the outbox table's metadata)."""
    return Table(
        SEQUENCES_TABLE,
        metadata,
        Column("subject", String(200), primary_key=True),
        Column("last", Integer, nullable=False),
        Column("last_event_id", Uuid, nullable=False),
        # The event before ``last_event_id``: the upsert moves the old ``last_event_id`` here so
        # its RETURNING can give the new event its ``previous_event_id`` (RETURNING sees only the
        # new row, on PostgreSQL before 18 and on SQLite).
        Column("previous_event_id", Uuid, nullable=True),
    )


_SEQUENCE_KEYS = ("subject", "last", "last_event_id")
_OUTBOX_KEYS = ("id", "event_type", "district_id", "subject", "envelope", "occurred_at")


@lru_cache(maxsize=32)
def _hot_upsert(table: Table, is_pg: bool) -> HotStatement:
    """One subject's counter bump (every publish, so every answer) on the driver."""
    return HotStatement(_upsert(table, is_pg).values({k: bindparam(k) for k in _SEQUENCE_KEYS}))


@lru_cache(maxsize=32)
def _upsert(table: Table, is_pg: bool) -> Any:
    # Built once per table and backend: every publish (each answer) runs it, and building the
    # statement with its ON CONFLICT clause, and its cache key, cost more than executing it.
    insert = (postgresql.insert if is_pg else sqlite.insert)(table)
    # ``last`` of the inserted row is the count of the caller's events of the subject; on a
    # conflict it is added to the stored counter. The SET expressions all read the old row (SQL
    # semantics on both backends), so ``previous_event_id`` gets the old ``last_event_id``.
    return insert.on_conflict_do_update(
        index_elements=[table.c.subject],
        set_={
            "last": table.c["last"] + insert.excluded["last"],
            "previous_event_id": table.c.last_event_id,
            "last_event_id": insert.excluded.last_event_id,
        },
    ).returning(table.c.subject, table.c["last"], table.c.previous_event_id)


async def sequence_events(
    session: AsyncSession, sequences: Table, envelopes: Sequence[EventEnvelope]
) -> list[EventEnvelope]:
    """The envelopes with ``sequence`` and ``previous_event_id`` set, in the caller's
    transaction; events of one subject are numbered in the order given. One counter bump per
    subject, whatever the number of events (imports emit thousands)."""
    if not envelopes:
        return []
    by_subject: dict[str, list[EventEnvelope]] = {}
    for envelope in envelopes:
        by_subject.setdefault(envelope.subject, []).append(envelope)
    # Sorted: transactions bumping several subjects lock their counters in one order, so two
    # of them cannot deadlock on each other (PostgreSQL).
    rows = [
        {"subject": subject, "last": len(group), "last_event_id": group[-1].id}
        for subject, group in sorted(by_subject.items())
    ]
    is_pg = session.get_bind().dialect.name == "postgresql"
    # One row (one subject: an answer's events): the driver; several: SQLAlchemy's batched
    # insert, RETURNING every row.
    if len(rows) == 1:
        result = await _hot_upsert(sequences, is_pg).rows(session, rows[0])
    else:
        result = (await (await core(session)).execute(_upsert(sequences, is_pg), rows)).all()
    numbered: dict[Any, EventEnvelope] = {}
    for subject, last, previous in result:
        group = by_subject[subject]
        for offset, envelope in enumerate(group):
            numbered[envelope.id] = envelope.model_copy(
                update={
                    "sequence": last - len(group) + 1 + offset,
                    "previous_event_id": previous if offset == 0 else group[offset - 1].id,
                }
            )
    return [numbered[envelope.id] for envelope in envelopes]


def outbox_row(envelope: EventEnvelope) -> dict[str, Any]:
    """The outbox row of a (numbered) envelope."""
    return {
        "id": envelope.id,
        "event_type": envelope.type,
        "district_id": envelope.district_id,
        "subject": envelope.subject,
        "envelope": envelope.model_dump(mode="json"),
        "occurred_at": envelope.occurred_at,
    }


def _sequences_of(outbox: Table) -> Table:
    sequences = outbox.metadata.tables.get(SEQUENCES_TABLE)
    if sequences is None:
        raise RuntimeError(
            f"no {SEQUENCES_TABLE} table beside the outbox: "
            "declare event_sequences_table(metadata) in the service's models"
        )
    return sequences


async def enqueue_event(
    session: AsyncSession, table: Table, envelope: EventEnvelope
) -> EventEnvelope:
    """Number the event and add it to the caller's transaction; it commits or rolls back with
    the change. Returns the envelope as written (with its ``sequence``)."""
    [numbered] = await sequence_events(session, _sequences_of(table), [envelope])
    await _insert(table).execute(session, outbox_row(numbered))
    return numbered


def outbox_of(session: AsyncSession) -> Table:
    """The outbox of the service the session belongs to (``Database(url, outbox=...)``)."""
    table = session.info.get("outbox")
    if not isinstance(table, Table):
        raise RuntimeError("This session's Database was created without an outbox table.")
    return table


def _wake_relay(session: AsyncSession) -> None:
    # The process's relay sleeps longer when there is nothing to send; a publish wakes it (it
    # finds the rows once this transaction commits, polling briefly after the wake-up).
    written = session.info.get("outbox_written")
    if written is not None:
        written.set()


async def publish(session: AsyncSession, envelope: EventEnvelope) -> EventEnvelope:
    """Publish an event with the change the session is making: the outbox API of the services
    (the table comes with the session; nothing passes it through the layers)."""
    numbered = await enqueue_event(session, outbox_of(session), envelope)
    _wake_relay(session)
    return numbered


async def publish_many(
    session: AsyncSession, envelopes: Sequence[EventEnvelope]
) -> list[EventEnvelope]:
    numbered = await enqueue_events(session, outbox_of(session), envelopes)
    _wake_relay(session)
    return numbered


@lru_cache(maxsize=32)
def _insert(table: Table) -> HotStatement:
    return HotStatement(table.insert().values({k: bindparam(k) for k in _OUTBOX_KEYS}))


async def enqueue_events(
    session: AsyncSession, table: Table, envelopes: Sequence[EventEnvelope]
) -> list[EventEnvelope]:
    """``enqueue_event`` for many events: one counter statement and one insert."""
    numbered = await sequence_events(session, _sequences_of(table), envelopes)
    await _insert(table).execute_many(session, [outbox_row(e) for e in numbered])
    return numbered
