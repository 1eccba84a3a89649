"""The change feed's migration enters the rows that exist already: a district seeded before it
reads its whole roster from the beginning of its feed."""

import asyncio
from pathlib import Path

from sqlalchemy import func, select

from pathwise_devstack.testing import create_test_database, drop_test_database
from pathwise_profiles.migrations import MIGRATIONS
from pathwise_profiles.models import change_counters, roster_changes
from pathwise_profiles.repository import demo
from pathwise_profiles.seed import DEMO_DISTRICT, build_demo_rows
from pathwise_shared.db import Database
from pathwise_shared.db.uow import unit_of_work
from pathwise_shared.timeutil import utcnow

BEFORE = "7c1e5b2d9a40"  # the revision before the change feed
FEED_TABLES = {
    "districts": "district", "schools": "school", "academic_sessions": "academic_session",
    "courses": "course", "classes": "class", "users": "user", "enrollments": "enrollment",
    "guardian_links": "guardian_link", "learner_profiles": "learner_profile",
}  # fmt: skip


async def test_existing_rows_are_entered_parents_first(tmp_path: Path) -> None:
    # (to_thread: on PostgreSQL these run their own event loop)
    test_db = await asyncio.to_thread(create_test_database, "profiles", tmp_path)
    try:
        await asyncio.to_thread(MIGRATIONS.upgrade, test_db.url, BEFORE)
        rows = build_demo_rows(utcnow().date())
        # one record marked deleted already: its entry is a delete
        rows["classes"][0]["status"] = "tobedeleted"
        db = Database(test_db.url)
        try:
            async with unit_of_work(db) as session:
                await demo.insert_rows(session, rows)
        finally:
            await db.dispose()
        await asyncio.to_thread(MIGRATIONS.upgrade, test_db.url)
        db = Database(test_db.url)
        try:
            async with unit_of_work(db, read_only=True) as session:
                entries = (
                    (await session.execute(select(roster_changes).order_by(roster_changes.c.seq)))
                    .mappings()
                    .all()
                )
                last = await session.scalar(
                    select(change_counters.c["last"]).where(
                        change_counters.c.district_id == DEMO_DISTRICT
                    )
                )
                assert await session.scalar(select(func.count()).select_from(change_counters)) == 1
        finally:
            await db.dispose()
        expected = sum(len(rows.get(table, [])) for table in FEED_TABLES)
        assert len(entries) == expected == last
        assert [e["seq"] for e in entries] == list(range(1, expected + 1))
        order = list(FEED_TABLES.values())
        ranks = [order.index(e["object_type"]) for e in entries]
        assert ranks == sorted(ranks) and entries[0]["object_type"] == "district"
        deleted = [e for e in entries if e["operation"] == "delete"]
        assert [(e["object_type"], e["object_id"]) for e in deleted] == [
            ("class", rows["classes"][0]["id"])
        ]
        profiles = {e["object_id"] for e in entries if e["object_type"] == "learner_profile"}
        assert profiles == {p["learner_id"] for p in rows["learner_profiles"]}
    finally:
        await asyncio.to_thread(drop_test_database, test_db)
