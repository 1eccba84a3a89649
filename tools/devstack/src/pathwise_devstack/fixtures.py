"""The fixture factory: the pytest fixtures every service's conftest declares, built in one place.

A conftest says *which* app, settings, neighbours and seed; how to set them up is here, once:
one database per scope (``database_fixture``), the real app in process on it, migrated, its
lifespan running, seeded, wired to neighbour apps in process (``app_fixture``). For example::

    test_db = database_fixture("profiles")
    client = app_fixture(create_app, MIGRATIONS, lambda db: ProfilesSettings(
        database_url=db.url, environment="test"), database="test_db", seed=[profiles_edge_cases])

A built fixture depends on fixtures named at build time (its database, its neighbours): pytest
reads a function's parameters from ``__signature__``, which is set here to those names.
"""

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Any, Literal

import httpx
import pytest
from fastapi import FastAPI

from pathwise_devstack.profiles_fixtures import insert_fixtures
from pathwise_devstack.testing import (
    ServiceClient,
    TestDatabase,
    create_test_database,
    drop_test_database,
    service_client,
)
from pathwise_shared.db import Database
from pathwise_shared.db.migrations import MigrationSpec
from pathwise_shared.http import create_http_client

__all__ = [
    "UNREACHABLE_URL",
    "app_fixture",
    "database_fixture",
    "profiles_beside",
    "profiles_edge_cases",
    "unreachable",
]

Scope = Literal["session", "package", "module", "class", "function"]
# A seed step: runs on the app's database URL once the app is up.
Seed = Callable[[str], Awaitable[object]]
# Nothing listens on port 9 (discard): a service that is down.
UNREACHABLE_URL = "http://127.0.0.1:9"


def unreachable() -> httpx.AsyncClient:
    """A client of a service that is down: the services' own client, no retries, short timeout,
    so "down" fails the way it does in production, only faster."""
    return create_http_client(UNREACHABLE_URL, timeout=1.0, retries=0)


async def profiles_edge_cases(database_url: str) -> None:
    """Seed step: the second district and edge cases of ``profiles_fixtures`` (not the demo)."""
    db = Database(database_url)
    try:
        await insert_fixtures(db)
    finally:
        await db.dispose()


def _injected(function: Callable[..., Any], names: Iterable[str]) -> Callable[..., Any]:
    """Give a ``**kwargs`` function the parameters pytest should inject, by name."""
    kind = inspect.Parameter.KEYWORD_ONLY
    function.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, kind) for name in dict.fromkeys(names)]
    )
    return function


def database_fixture(service: str, *, scope: Scope = "session") -> Any:
    """A fixture: a fresh database for ``service`` (a SQLite file, or a PostgreSQL database with
    ``PATHWISE_TEST_DATABASE=postgresql``), dropped when its scope ends."""

    def fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
        db = create_test_database(service, tmp_path_factory.mktemp(service))
        try:
            yield db
        finally:
            drop_test_database(db)

    return pytest.fixture(scope=scope)(fixture)


def app_fixture(
    create_app: Callable[..., FastAPI],
    migrations: MigrationSpec,
    settings: Callable[[TestDatabase], Any] | str,
    *,
    database: str,
    upstreams: Mapping[str, str] | None = None,
    unreachable_upstreams: Iterable[str] = (),
    seed: Iterable[Seed] = (),
    scope: Scope = "session",
) -> Any:
    """A fixture: the real app in process on a real database, as a ``ServiceClient``.

    ``database`` names the ``database_fixture`` the app runs on. ``settings`` builds the app's
    settings from that database, or names a settings fixture (when tests need that very object,
    e.g. the gateway's signing key). ``upstreams`` wires other services in process: ``{"profiles":
    "profiles"}`` hands the app fixture named ``profiles`` to ``create_app(settings,
    upstream_clients=...)`` as the profiles client, and makes it a dependency, so the neighbour
    is up and seeded first. ``unreachable_upstreams`` are services that are down. ``seed`` steps
    run in order on the database URL once the app is migrated and its lifespan has started.
    """
    wired = dict(upstreams or {})
    down = tuple(unreachable_upstreams)
    seeds = tuple(seed)
    names = [database, *wired.values()]
    if isinstance(settings, str):
        names.append(settings)

    async def fixture(**given: Any) -> AsyncIterator[ServiceClient]:
        db: TestDatabase = given[database]
        app_settings = given[settings] if isinstance(settings, str) else settings(db)
        own = {name: unreachable() for name in down}
        clients: dict[str, httpx.AsyncClient] = {n: given[f] for n, f in wired.items()} | own

        def factory(s: Any) -> FastAPI:
            # Without neighbours, the app builds its own clients from its settings.
            return create_app(s, upstream_clients=clients) if clients else create_app(s)

        try:
            async with service_client(factory, app_settings, migrations) as client:
                for step in seeds:
                    await step(app_settings.database_url)
                yield client
        finally:
            for c in own.values():
                await c.aclose()

    return pytest.fixture(scope=scope)(_injected(fixture, names))


def profiles_beside(
    database: str, *, seed: Iterable[Seed] = (profiles_edge_cases,), scope: Scope = "session"
) -> Any:
    """A fixture: the real profiles app as the neighbour of a service under test (its relay off),
    on the database fixture named ``database``; by default the second district and edge cases."""
    from pathwise_profiles.app import create_app
    from pathwise_profiles.migrations import MIGRATIONS
    from pathwise_profiles.settings import ProfilesSettings

    return app_fixture(
        create_app,
        MIGRATIONS,
        lambda db: ProfilesSettings(database_url=db.url, environment="test", outbox_relay=False),
        database=database,
        seed=seed,
        scope=scope,
    )
