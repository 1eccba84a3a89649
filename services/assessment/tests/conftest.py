"""The assessment app in-process, with the real profiles and pathways apps in-process beside it."""

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from pathwise_assessment.app import create_app
from pathwise_assessment.migrations import MIGRATIONS
from pathwise_assessment.seed import seed_demo
from pathwise_assessment.settings import AssessmentSettings
from pathwise_devstack.profiles_fixtures import insert_fixtures
from pathwise_devstack.testing import (
    ServiceClient,
    TestDatabase,
    create_test_database,
    drop_test_database,
    service_client,
)
from pathwise_pathways.app import create_app as create_pathways
from pathwise_pathways.migrations import MIGRATIONS as PATHWAYS_MIGRATIONS
from pathwise_pathways.seed import import_shared_frameworks
from pathwise_pathways.settings import PathwaysSettings
from pathwise_profiles.app import create_app as create_profiles
from pathwise_profiles.migrations import MIGRATIONS as PROFILES_MIGRATIONS
from pathwise_profiles.settings import ProfilesSettings
from pathwise_shared.db import Database
from pathwise_shared.http import create_http_client


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TestDatabase]]:
    directory: Path = tmp_path_factory.mktemp("assessment")
    dbs = {
        name: create_test_database(name, directory)
        for name in ("assessment", "profiles", "pathways", "assessment_down", "assessment_own")
    }
    yield dbs
    for db in dbs.values():
        drop_test_database(db)


@pytest.fixture(scope="session")
async def profiles(databases: dict[str, TestDatabase]) -> AsyncIterator[ServiceClient]:
    settings = ProfilesSettings(
        database_url=databases["profiles"].url, environment="test", outbox_relay=False
    )
    async with service_client(create_profiles, settings, PROFILES_MIGRATIONS) as client:
        db = Database(settings.database_url)
        try:
            await insert_fixtures(db)
        finally:
            await db.dispose()
        yield client


@pytest.fixture(scope="session")
async def pathways(databases: dict[str, TestDatabase]) -> AsyncIterator[ServiceClient]:
    settings = PathwaysSettings(
        database_url=databases["pathways"].url, environment="test", outbox_relay=False
    )
    async with service_client(create_pathways, settings, PATHWAYS_MIGRATIONS) as client:
        await import_shared_frameworks(settings.database_url)
        yield client


@pytest.fixture(scope="session")
async def api(
    databases: dict[str, TestDatabase], profiles: ServiceClient, pathways: ServiceClient
) -> AsyncIterator[ServiceClient]:
    settings = AssessmentSettings(
        database_url=databases["assessment"].url, environment="test", outbox_relay=False
    )

    def factory(s: AssessmentSettings) -> object:
        return create_app(s, upstream_clients={"profiles": profiles, "pathways": pathways})

    async with service_client(factory, settings, MIGRATIONS) as client:  # type: ignore[arg-type]
        await seed_demo(settings.database_url)
        yield client


@pytest.fixture(scope="session")
async def api_own(
    databases: dict[str, TestDatabase], profiles: ServiceClient, pathways: ServiceClient
) -> AsyncIterator[ServiceClient]:
    """A second assessment app on a database of its own, for tests of jobs that sweep the whole
    database (they must not change what the other tests' learners have mastered)."""
    settings = AssessmentSettings(
        database_url=databases["assessment_own"].url, environment="test", outbox_relay=False
    )

    def factory(s: AssessmentSettings) -> object:
        return create_app(s, upstream_clients={"profiles": profiles, "pathways": pathways})

    async with service_client(factory, settings, MIGRATIONS) as client:  # type: ignore[arg-type]
        yield client


@pytest.fixture(scope="session")
async def api_pathways_down(databases: dict[str, TestDatabase]) -> AsyncIterator[ServiceClient]:
    """Assessment with nothing listening where pathways and profiles should be."""
    settings = AssessmentSettings(
        database_url=databases["assessment_down"].url, environment="test", outbox_relay=False
    )
    down = {
        name: create_http_client("http://127.0.0.1:9", timeout=1.0, retries=0)
        for name in ("profiles", "pathways")
    }

    def factory(s: AssessmentSettings) -> object:
        return create_app(s, upstream_clients=down)

    async with service_client(factory, settings, MIGRATIONS) as client:  # type: ignore[arg-type]
        yield client
    for c in down.values():
        await c.aclose()


def new_uuid() -> uuid.UUID:
    return uuid.uuid4()
