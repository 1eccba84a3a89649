"""``before_commit``: work a unit of work runs as its transaction's last statements (profiles
numbers its change feed there), once per key, at every commit, never after a rollback."""

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_shared.db import Database
from pathwise_shared.db.uow import BeforeCommit, before_commit, commit_now, unit_of_work


async def _database(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'hooks.db'}")
    async with db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE log (n INTEGER)"))
    return db


async def _logged(db: Database) -> list[int]:
    async with unit_of_work(db, read_only=True) as session:
        return [n for (n,) in await session.execute(text("SELECT n FROM log ORDER BY rowid"))]


async def test_a_hook_runs_once_per_key_last_and_inside_the_transaction(tmp_path: Path) -> None:
    db = await _database(tmp_path)
    calls: list[str] = []

    async def hook(session: AsyncSession) -> None:
        calls.append("hook")
        await session.execute(text("INSERT INTO log VALUES (99)"))

    try:
        async with unit_of_work(db) as session:
            before_commit(session, "k", hook)
            await session.execute(text("INSERT INTO log VALUES (1)"))
            before_commit(session, "k", hook)  # the same key again: still once
        assert calls == ["hook"]
        assert await _logged(db) == [1, 99]
    finally:
        await db.dispose()


async def test_a_rollback_drops_the_hook(tmp_path: Path) -> None:
    db = await _database(tmp_path)
    calls: list[str] = []

    async def hook(session: AsyncSession) -> None:
        calls.append("hook")

    async def failing_request() -> None:
        async with unit_of_work(db) as session:
            before_commit(session, "k", hook)
            await session.execute(text("INSERT INTO log VALUES (1)"))
            raise RuntimeError("the request failed")

    try:
        with pytest.raises(RuntimeError, match="the request failed"):
            await failing_request()
        assert calls == []
        assert await _logged(db) == []
    finally:
        await db.dispose()


async def test_a_failing_hook_rolls_the_transaction_back(tmp_path: Path) -> None:
    db = await _database(tmp_path)

    async def hook(session: AsyncSession) -> None:
        raise ValueError("cannot number the changes")

    async def request() -> None:
        async with unit_of_work(db) as session:
            before_commit(session, "k", hook)
            await session.execute(text("INSERT INTO log VALUES (1)"))

    try:
        with pytest.raises(ValueError, match="cannot number"):
            await request()
        assert await _logged(db) == []
    finally:
        await db.dispose()


async def test_commit_now_runs_the_hooks_registered_so_far(tmp_path: Path) -> None:
    db = await _database(tmp_path)
    calls: list[int] = []

    def hook_for(n: int) -> BeforeCommit:
        async def hook(session: AsyncSession) -> None:
            calls.append(n)

        return hook

    try:
        async with unit_of_work(db) as session:
            before_commit(session, "k", hook_for(1))
            await commit_now(session)
            # after a commit, the same key registers anew for the next one
            before_commit(session, "k", hook_for(2))
        assert calls == [1, 2]
    finally:
        await db.dispose()
