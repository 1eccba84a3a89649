"""The minimal app the core loop is measured against (issue 13): FastAPI + pydantic on uvicorn,
one worker, on the same database server as the stack, doing the least an answer and a profile
read must do.

- ``PUT /attempts/{attempt_id}/responses/{item_id}``: in one transaction, lock the attempt row
  (PostgreSQL: ``SELECT … FOR UPDATE``; SQLite: ``BEGIN IMMEDIATE`` then the select) and insert
  one response row; 201 with a small pydantic model.
- ``GET /learners/{learner_id}/profile``: one primary-key read; 200 with a small pydantic model.

No auth, no middleware, no ORM: it is the floor, not a competitor. :func:`create_proxy_app` is
the least a gateway hop can be, put in front of it: a catch-all that passes each request on with
aiohttp (the gateway's client) and the answer back, without any check (the hop's own floor).
PostgreSQL goes through an asyncpg pool of the services' size (20), or of what the server's
connection limit leaves beside the stack's pools (``ANCHOR_POOL_SIZE``, set by the benchmark);
SQLite through the standard library's ``sqlite3``
inline on its own file, with the services' pragmas (WAL, synchronous=NORMAL, busy timeout). Run as
``python -m uvicorn bench.anchor:create_app --factory`` with ``ANCHOR_DATABASE_URL`` set; the
tables and rows come from :func:`prepare` (the benchmark calls it before starting the app).
"""

import json
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg
from fastapi import FastAPI, HTTPException, Request, Response
from pydantic import BaseModel

__all__ = ["AnswerIn", "AnswerOut", "ProfileOut", "create_app", "create_proxy_app", "prepare"]

# The services' default pool (PATHWISE_DB_POOL_SIZE, fixed): the same number of connections.
POOL_SIZE = 20
_PG_SCHEMA = """
CREATE TABLE attempts (id uuid PRIMARY KEY, learner_id uuid NOT NULL, status text NOT NULL);
CREATE TABLE responses (
    id uuid PRIMARY KEY, attempt_id uuid NOT NULL REFERENCES attempts (id), item_id uuid NOT NULL,
    answer jsonb NOT NULL, created_at timestamptz NOT NULL
);
CREATE INDEX responses_attempt ON responses (attempt_id, item_id);
CREATE TABLE profiles (
    learner_id uuid PRIMARY KEY, given_name text NOT NULL, family_name text NOT NULL,
    grade text, interests jsonb NOT NULL, pace text NOT NULL
);
"""
_SQLITE_SCHEMA = (
    _PG_SCHEMA.replace("uuid", "text").replace("jsonb", "text").replace("timestamptz", "text")
)


class AnswerIn(BaseModel):
    answer: dict[str, Any]


class AnswerOut(BaseModel):
    id: uuid.UUID
    attempt_id: uuid.UUID
    item_id: uuid.UUID
    learner_id: uuid.UUID
    answer: dict[str, Any]
    created_at: datetime


class ProfileOut(BaseModel):
    learner_id: uuid.UUID
    given_name: str
    family_name: str
    grade: str | None
    interests: list[str]
    pace: str


def _sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


def _sqlite_connect(url: str) -> sqlite3.Connection:
    conn = sqlite3.connect(_sqlite_path(url), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


async def prepare(url: str, attempts: Iterable[uuid.UUID], learners: Iterable[uuid.UUID]) -> None:
    """Create the anchor's tables and rows: one attempt row per id, one profile per learner."""
    attempt_rows = [(str(a), str(uuid.uuid4()), "in_progress") for a in attempts]
    profile_rows = [
        (str(lid), f"Given{n}", f"Family{n}", "03", json.dumps(["space", "robots"]), "steady")
        for n, lid in enumerate(learners)
    ]
    if url.startswith("sqlite"):
        conn = _sqlite_connect(url)
        try:
            conn.executescript(_SQLITE_SCHEMA)
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO attempts VALUES (?, ?, ?)", attempt_rows)
            conn.executemany("INSERT INTO profiles VALUES (?, ?, ?, ?, ?, ?)", profile_rows)
            conn.execute("COMMIT")
        finally:
            conn.close()
        return
    pg = await asyncpg.connect(url)
    try:
        await pg.execute(_PG_SCHEMA)
        await pg.executemany("INSERT INTO attempts VALUES ($1::uuid, $2::uuid, $3)", attempt_rows)
        await pg.executemany(
            "INSERT INTO profiles VALUES ($1::uuid, $2, $3, $4, $5::jsonb, $6)", profile_rows
        )
        await pg.execute("ANALYZE")
    finally:
        await pg.close()


def _not_found() -> HTTPException:
    return HTTPException(status_code=404, detail="not found")


def _postgres_app(url: str) -> FastAPI:
    pool: asyncpg.Pool | None = None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        nonlocal pool
        # Idle connections go back to the server within seconds: the stack measured between the
        # anchor's runs shares the server's connection limit with it (bench_loop.anchor_pool).
        pool = await asyncpg.create_pool(
            url,
            min_size=2,
            max_size=int(os.environ.get("ANCHOR_POOL_SIZE", POOL_SIZE)),
            max_inactive_connection_lifetime=2.0,
        )
        yield
        await pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.put("/attempts/{attempt_id}/responses/{item_id}", status_code=201)
    async def answer(attempt_id: uuid.UUID, item_id: uuid.UUID, body: AnswerIn) -> AnswerOut:
        assert pool is not None
        now = datetime.now(UTC)
        async with pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "SELECT learner_id FROM attempts WHERE id = $1 FOR UPDATE", attempt_id
            )
            if row is None:
                raise _not_found()
            rid = uuid.uuid4()
            await conn.execute(
                "INSERT INTO responses VALUES ($1, $2, $3, $4::jsonb, $5)",
                rid, attempt_id, item_id, json.dumps(body.answer), now,
            )  # fmt: skip
        return AnswerOut(
            id=rid, attempt_id=attempt_id, item_id=item_id, learner_id=row["learner_id"],
            answer=body.answer, created_at=now,
        )  # fmt: skip

    @app.get("/learners/{learner_id}/profile")
    async def profile(learner_id: uuid.UUID) -> ProfileOut:
        assert pool is not None
        row = await pool.fetchrow(
            "SELECT learner_id, given_name, family_name, grade, interests, pace"
            " FROM profiles WHERE learner_id = $1",
            learner_id,
        )
        if row is None:
            raise _not_found()
        return ProfileOut(**{**dict(row), "interests": json.loads(row["interests"])})

    return app


def _sqlite_app(url: str) -> FastAPI:
    # One connection used inline: a handler runs its whole transaction without awaiting, so two
    # requests never interleave on it (the least SQLite can do from one process).
    conn = _sqlite_connect(url)
    app = FastAPI()

    @app.put("/attempts/{attempt_id}/responses/{item_id}", status_code=201)
    async def answer(attempt_id: uuid.UUID, item_id: uuid.UUID, body: AnswerIn) -> AnswerOut:
        now = datetime.now(UTC)
        rid = uuid.uuid4()
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute(
                "SELECT learner_id FROM attempts WHERE id = ?", (str(attempt_id),)
            ).fetchone()
            if row is None:
                raise _not_found()
            conn.execute(
                "INSERT INTO responses VALUES (?, ?, ?, ?, ?)",
                (str(rid), str(attempt_id), str(item_id), json.dumps(body.answer), now.isoformat()),
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return AnswerOut(
            id=rid, attempt_id=attempt_id, item_id=item_id, learner_id=uuid.UUID(row[0]),
            answer=body.answer, created_at=now,
        )  # fmt: skip

    @app.get("/learners/{learner_id}/profile")
    async def profile(learner_id: uuid.UUID) -> ProfileOut:
        row = conn.execute(
            "SELECT learner_id, given_name, family_name, grade, interests, pace"
            " FROM profiles WHERE learner_id = ?",
            (str(learner_id),),
        ).fetchone()
        if row is None:
            raise _not_found()
        return ProfileOut(
            learner_id=row[0], given_name=row[1], family_name=row[2], grade=row[3],
            interests=json.loads(row[4]), pace=row[5],
        )  # fmt: skip

    return app


def create_app() -> FastAPI:
    url = os.environ["ANCHOR_DATABASE_URL"]
    return _sqlite_app(url) if url.startswith("sqlite") else _postgres_app(url)


def create_proxy_app() -> FastAPI:
    """The anchor behind the least a proxy does: every request to ``ANCHOR_UPSTREAM`` as it came
    (method, path, query, body, content type), its status, body and content type back. No
    authentication, limits, checks, audit or middleware: what the hop itself costs."""
    upstream = os.environ["ANCHOR_UPSTREAM"]
    client: aiohttp.ClientSession | None = None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        nonlocal client
        client = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=POOL_SIZE * 4))
        yield
        await client.close()

    app = FastAPI(lifespan=lifespan)

    @app.api_route("/{path:path}", methods=["GET", "PUT"])
    async def forward(path: str, request: Request) -> Response:
        assert client is not None
        body = await request.body()
        query = request.url.query
        url = f"{upstream}/{path}" + (f"?{query}" if query else "")
        headers = {"Content-Type": request.headers["content-type"]} if body else None
        async with client.request(request.method, url, data=body or None, headers=headers) as r:
            content = await r.read()
            return Response(content, status_code=r.status, media_type=r.content_type)

    return app
