"""Dependencies shared by the routers."""

from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy import Table

from pathwise_assessment.service.upstreams import Upstreams
from pathwise_shared.db import Database

__all__ = ["AppDatabase", "IdempotencyKey", "Outbox", "UpstreamsDep"]


def _upstreams(request: Request) -> Upstreams:
    upstreams: Upstreams = request.app.state.upstreams
    return upstreams


def _outbox(request: Request) -> Table:
    table: Table = request.app.state.outbox
    return table


def _database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


AppDatabase = Annotated[Database, Depends(_database)]
UpstreamsDep = Annotated[Upstreams, Depends(_upstreams)]
Outbox = Annotated[Table, Depends(_outbox)]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=1, max_length=200,
           description="Repeat a create safely: the same key returns the first result"),
]  # fmt: skip
