"""A service whose database is down answers 503 problem+json with ``Retry-After``, directly and
through the gateway (not 500, not 502), and comes back by itself when the database does.

The pathways service runs for real on a loopback port (uvicorn, in this process), the gateway in
front of it on a database of its own. Two real outages: ``refused`` starts pathways on PostgreSQL
at a port nobody listens on (asyncpg is refused on every connection); ``gone`` starts it on a
migrated SQLite database, then replaces the database's directory by a file and drops the pooled
connections, as when a volume disappears under a running process, and later puts it back.
"""

import asyncio
import gc
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from pathwise_devstack.testing import (
    create_test_database,
    drop_test_database,
    gateway_token,
    make_principal,
    service_client,
)
from pathwise_gateway.app import create_app as create_gateway
from pathwise_gateway.migrations import MIGRATIONS as GATEWAY_MIGRATIONS
from pathwise_gateway.settings import GatewaySettings
from pathwise_pathways.app import create_app as create_pathways
from pathwise_pathways.migrations import MIGRATIONS as PATHWAYS_MIGRATIONS
from pathwise_pathways.settings import PathwaysSettings
from pathwise_shared.auth import issue_internal_token

# aiosqlite warns from a finalizer when sqlite3.connect() itself failed (the file cannot be
# opened): there is no connection to close, so the warning says nothing about our code.
pytestmark = pytest.mark.filterwarnings("ignore:.*was deleted before being closed:ResourceWarning")

DISTRICT = uuid.uuid4()


@pytest.fixture(autouse=True)
def _collect_failed_connections() -> Iterator[None]:
    # ... and collected here, under that filter, not during some later test.
    yield
    gc.collect()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@asynccontextmanager
async def _serve(app: FastAPI, port: int) -> AsyncIterator[uvicorn.Server]:
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(200):
            if server.started or task.done():
                break
            await asyncio.sleep(0.05)
        assert server.started, "pathways did not start"
        yield server
    finally:
        server.should_exit = True
        await task


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["x-request-id"]


@pytest.mark.parametrize("mode", ["refused", "gone"])
async def test_service_database_down_is_503_directly_and_through_the_gateway(
    mode: str, tmp_path: Path
) -> None:
    port = _free_port()
    data = tmp_path / "pathways-data"
    if mode == "refused":
        database_url = f"postgresql://postgres@127.0.0.1:{_free_port()}/pathways"
    else:
        database_url = f"sqlite:///{data / 'pathways.db'}"
        await asyncio.to_thread(PATHWAYS_MIGRATIONS.upgrade, database_url)
    closed = f"http://127.0.0.1:{_free_port()}"
    pathways_settings = PathwaysSettings(
        database_url=database_url, environment="test", profiles_url=closed,
        assessment_url=closed, gateway_url=closed,
    )  # fmt: skip
    gateway_db = await asyncio.to_thread(create_test_database, "gateway", tmp_path)
    gateway_settings = GatewaySettings(
        database_url=gateway_db.url, environment="test", profiles_url=closed,
        pathways_url=f"http://127.0.0.1:{port}", assessment_url=closed,
        breaker_failures=3, breaker_reset_seconds=60,
    )  # fmt: skip
    teacher = make_principal(DISTRICT, roles=["teacher"])
    secret = pathways_settings.internal_token_secret.get_secret_value()
    direct_headers = {"Authorization": f"Bearer {issue_internal_token(teacher, secret)}"}
    pathways = create_pathways(pathways_settings)
    try:
        async with (
            _serve(pathways, port),
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=20) as direct,
            service_client(create_gateway, gateway_settings, GATEWAY_MIGRATIONS) as gateway,
        ):
            if mode == "gone":
                ok = await direct.get("/v1/skills", headers=direct_headers)
                assert ok.status_code == 200, ok.text  # it was up
                data.rename(tmp_path / "moved")
                data.write_text("not a directory any more")
                # The app's pooled connections would keep the unlinked file: drop them.
                await pathways.state.db.engine.dispose()

            answer = await direct.get("/v1/skills", headers=direct_headers)
            _assert_unavailable(answer)
            assert answer.json()["type"] == "https://pathwise.dev/problems/database-unavailable"
            _assert_unavailable(await direct.get("/readyz"))

            through = gateway_token(teacher)
            for _ in range(2):  # below the breaker's threshold: each one reaches pathways
                _assert_unavailable(await gateway.get("/v1/skills", headers=through))

            if mode == "gone":
                # The database is back: the same processes answer again, no restart.
                data.unlink()
                (tmp_path / "moved").rename(data)
                back = await gateway.get("/v1/skills", headers=through)
                assert back.status_code == 200, back.text
                assert (await direct.get("/readyz")).status_code == 200
    finally:
        await asyncio.to_thread(drop_test_database, gateway_db)
