"""The learner data map's generic export: subject, mention, via chains, event subjects, files,
the district scope, and the file check (docs/privacy.md)."""

import datetime as dt
import decimal
import uuid
from pathlib import Path

import pytest
from sqlalchemy import (
    JSON,
    Column,
    Date,
    ForeignKey,
    MetaData,
    Numeric,
    String,
    Table,
    Uuid,
    select,
)

from pathwise_shared.db import Database
from pathwise_shared.db.learner_data import (
    Anywhere,
    LearnerDataMap,
    LearnerTable,
    NoLearnerData,
    Subject,
    Via,
    erase_learner,
    erased_learner_id,
    export_learner,
    find_learner_file,
)
from pathwise_shared.db.uow import unit_of_work

metadata = MetaData()
threads = Table(
    "threads", metadata,
    Column("id", Uuid, primary_key=True), Column("district_id", Uuid),
    Column("learner_id", Uuid), Column("created_by", String(200)),
)  # fmt: skip
messages = Table(
    "messages", metadata,
    Column("id", Uuid, primary_key=True), Column("district_id", Uuid),
    Column("thread_id", Uuid, ForeignKey("threads.id")), Column("author", String(200)),
    Column("storage_key", String(200), nullable=True), Column("filename", String(100)),
    Column("day", Date), Column("score", Numeric(5, 2)),
)  # fmt: skip
reads = Table(
    "reads", metadata,
    Column("id", Uuid, primary_key=True), Column("message_id", Uuid, ForeignKey("messages.id")),
    Column("payload", JSON),
)  # fmt: skip
counters = Table("counters", metadata, Column("subject", String(200), primary_key=True))
items = Table("items", metadata, Column("id", Uuid, primary_key=True))

MAP = LearnerDataMap(
    "test",
    metadata,
    (
        LearnerTable(threads, learner_columns=("learner_id",), mentions=("created_by",)),
        LearnerTable(
            messages, mentions=("author",), via=Via("thread_id", threads), files=("storage_key",)
        ),
        LearnerTable(reads, via=Via("message_id", messages)),
        LearnerTable(counters, learner_columns=(Subject("subject"),)),
        NoLearnerData(items, why="content"),
    ),
)

D1, D2 = uuid.uuid4(), uuid.uuid4()
ME, OTHER = uuid.uuid4(), uuid.uuid4()


async def _db(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'map.db'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    t_mine, t_theirs, t_by_me, t_elsewhere = (uuid.uuid4() for _ in range(4))
    m_mine, m_theirs = uuid.uuid4(), uuid.uuid4()
    async with db.engine.begin() as conn:
        await conn.execute(threads.insert(), [
            {"id": t_mine, "district_id": D1, "learner_id": ME, "created_by": "teacher"},
            {"id": t_theirs, "district_id": D1, "learner_id": OTHER, "created_by": "teacher"},
            # About someone else, started by the learner: a mention.
            {"id": t_by_me, "district_id": D1, "learner_id": OTHER, "created_by": str(ME)},
            # Another district's row naming the learner: never exported to D1's job.
            {"id": t_elsewhere, "district_id": D2, "learner_id": ME, "created_by": "x"},
        ])  # fmt: skip
        await conn.execute(messages.insert(), [
            {"id": m_mine, "district_id": D1, "thread_id": t_mine, "author": "teacher",
             "storage_key": "k/mine", "filename": "a.pdf", "day": dt.date(2026, 1, 2),
             "score": decimal.Decimal("1.50")},
            {"id": m_theirs, "district_id": D1, "thread_id": t_theirs, "author": "teacher",
             "storage_key": "k/theirs", "filename": "b.pdf", "day": None, "score": None},
        ])  # fmt: skip
        await conn.execute(reads.insert(), [
            {"id": uuid.uuid4(), "message_id": m_mine, "payload": {"at": "x"}},
            {"id": uuid.uuid4(), "message_id": m_theirs, "payload": {}},
        ])  # fmt: skip
        await conn.execute(counters.insert(), [
            {"subject": f"learner/{ME}"}, {"subject": f"learner/{ME}/assessment"},
            {"subject": f"learner/{OTHER}"}, {"subject": f"learner/{ME}x"},
        ])  # fmt: skip
    return db


async def test_export_follows_the_map(tmp_path: Path) -> None:
    db = await _db(tmp_path)
    try:
        async with unit_of_work(db, read_only=True) as session:
            out = await export_learner(session, MAP, ME, D1)
            assert await find_learner_file(session, MAP, ME, D1, "messages", "k/mine")
            assert not await find_learner_file(session, MAP, ME, D1, "messages", "k/theirs")
            assert not await find_learner_file(session, MAP, ME, D2, "messages", "k/mine")
            assert not await find_learner_file(session, MAP, ME, D1, "threads", "k/mine")
            assert not await find_learner_file(session, MAP, ME, D1, "items", "k/mine")
            elsewhere = await export_learner(session, MAP, ME, uuid.uuid4())
    finally:
        await db.dispose()
    tables = out["tables"]
    assert list(tables) == ["threads", "messages", "reads", "counters"]
    assert {r["learner_id"] for r in tables["threads"]["rows"]} == {str(ME), str(OTHER)}
    assert len(tables["threads"]["rows"]) == 2  # theirs (not started by me) and D2's left out
    [message] = tables["messages"]["rows"]
    assert message["day"] == "2026-01-02" and message["score"] == "1.50"
    assert len(tables["reads"]["rows"]) == 1  # via messages, via threads
    assert sorted(r["subject"] for r in tables["counters"]["rows"]) == [
        f"learner/{ME}",
        f"learner/{ME}/assessment",
    ]
    assert tables["reads"]["flat"] is False and tables["threads"]["flat"] is True
    [ref] = out["files"]
    assert ref["storage_key"] == "k/mine" and ref["filename"] == "a.pdf"
    # Another district's job: nothing, not even the district-less counters.
    assert not any(t["rows"] for t in elsewhere["tables"].values())


def test_a_learner_column_of_another_type_is_refused() -> None:
    md = MetaData()
    odd = Table("odd", md, Column("id", Uuid, primary_key=True), Column("n", JSON))
    data_map = LearnerDataMap("odd", md, (LearnerTable(odd, learner_columns=("n",)),))
    from pathwise_shared.db.learner_data import learner_condition

    with pytest.raises(TypeError, match="cannot match"):
        learner_condition(data_map, data_map.learner_tables[0], ME, D1)


async def _count(db: Database, table: Table) -> int:
    async with db.engine.connect() as conn:
        return len((await conn.execute(select(table))).all())


async def test_erase_deletes_children_first_pseudonymizes_mentions_and_is_idempotent(
    tmp_path: Path,
) -> None:
    db = await _db(tmp_path)
    deleted_files: list[str] = []

    async def delete_file(key: str) -> None:
        deleted_files.append(key)

    try:
        async with unit_of_work(db, write=True) as session:
            first = await erase_learner(session, MAP, ME, D1, delete_file)
        async with unit_of_work(db, write=True) as session:
            second = await erase_learner(session, MAP, ME, D1, delete_file)
        async with db.engine.connect() as conn:
            left = {
                t.name: [dict(r) for r in (await conn.execute(select(t))).mappings()]
                for t in (threads, messages, reads, counters)
            }
    finally:
        await db.dispose()
    assert first.deleted == {"reads": 1, "messages": 1, "threads": 1, "counters": 2}
    assert first.pseudonymized == {"reads": 0, "messages": 0, "threads": 1, "counters": 0}
    assert first.files == ["k/mine"] and deleted_files == ["k/mine"]
    assert first.as_json()["files_deleted"] == 1
    # A second call finds nothing: the same tables, zeros.
    assert set(second.deleted) == set(first.deleted)
    assert not any(second.deleted.values()) and not any(second.pseudonymized.values())
    assert second.files == []
    # Left: the other learner's thread, the one the learner started about them (pseudonymized),
    # another district's row (not this district's to erase), the look-alike counter.
    pseudonym = str(erased_learner_id(D1))
    assert pseudonym != str(ME) and erased_learner_id(D1) != erased_learner_id(D2)
    assert sorted((str(r["learner_id"]), r["created_by"]) for r in left["threads"]) == sorted(
        [(str(OTHER), "teacher"), (str(OTHER), pseudonym), (str(ME), "x")]
    )
    assert [r["storage_key"] for r in left["messages"]] == ["k/theirs"]
    assert len(left["reads"]) == 1
    assert sorted(r["subject"] for r in left["counters"]) == sorted(
        [f"learner/{ME}x", f"learner/{OTHER}"]
    )


async def test_an_erase_whose_file_delete_fails_changes_nothing(tmp_path: Path) -> None:
    db = await _db(tmp_path)

    async def broken(key: str) -> None:
        raise OSError("the store is down")

    try:
        before = {t.name: await _count(db, t) for t in (threads, messages, reads, counters)}
        with pytest.raises(OSError, match="store is down"):
            async with unit_of_work(db, write=True) as session:
                await erase_learner(session, MAP, ME, D1, broken)
        after = {t.name: await _count(db, t) for t in (threads, messages, reads, counters)}
        assert after == before  # rolled back: the next call finds the rows and the key again
        async with unit_of_work(db, write=True) as session:
            again = await erase_learner(session, MAP, ME, D1)
        assert again.files == ["k/mine"]
    finally:
        await db.dispose()


async def test_anywhere_matches_an_envelope_naming_the_learner(tmp_path: Path) -> None:
    md = MetaData()
    events = Table(
        "events", md, Column("id", Uuid, primary_key=True), Column("district_id", Uuid),
        Column("subject", String(200)), Column("envelope", JSON),
    )  # fmt: skip
    data_map = LearnerDataMap(
        "events", md, (LearnerTable(events, learner_columns=(Anywhere("envelope"),)),)
    )
    db = Database(f"sqlite:///{tmp_path / 'events.db'}")
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(md.create_all)
            await conn.execute(events.insert(), [
                {"id": uuid.uuid4(), "district_id": D1, "subject": "class/1",
                 "envelope": {"data": {"user_id": str(ME)}}},
                {"id": uuid.uuid4(), "district_id": D1, "subject": "class/1",
                 "envelope": {"data": {"user_id": str(OTHER)}}},
            ])  # fmt: skip
        async with unit_of_work(db, write=True) as session:
            erased = await erase_learner(session, data_map, ME, D1)
        assert erased.deleted == {"events": 1}
        assert await _count(db, events) == 1
    finally:
        await db.dispose()
