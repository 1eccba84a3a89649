"""The real profiles app on a real database, seeded with the demo district and a second one."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from pathwise_devstack.profiles_fixtures import insert_fixtures
from pathwise_devstack.testing import (
    ServiceClient,
    TestDatabase,
    create_test_database,
    drop_test_database,
    service_client,
)
from pathwise_profiles.app import create_app
from pathwise_profiles.migrations import MIGRATIONS
from pathwise_profiles.settings import ProfilesSettings


@pytest.fixture(scope="session")
def test_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    db = create_test_database("profiles", tmp_path_factory.mktemp("profiles"))
    yield db
    drop_test_database(db)


@pytest.fixture(scope="session")
async def client(test_db: TestDatabase) -> AsyncIterator[ServiceClient]:
    settings = ProfilesSettings(database_url=test_db.url, environment="test")
    async with service_client(create_app, settings, MIGRATIONS) as c:
        await insert_fixtures(c.app.state.db)
        yield c


@pytest.fixture
def data_dir() -> Path:
    return Path(__file__).parent / "data"
