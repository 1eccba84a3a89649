"""The real profiles app on a real database, seeded with the second district and edge cases
(``pathwise_devstack.fixtures`` builds the fixtures)."""

from pathlib import Path

import pytest

from pathwise_devstack.fixtures import app_fixture, database_fixture, profiles_edge_cases
from pathwise_profiles.app import create_app
from pathwise_profiles.migrations import MIGRATIONS
from pathwise_profiles.settings import ProfilesSettings

test_db = database_fixture("profiles")
client = app_fixture(
    create_app,
    MIGRATIONS,
    lambda db: ProfilesSettings(database_url=db.url, environment="test"),
    database="test_db",
    seed=[profiles_edge_cases],
)


@pytest.fixture
def data_dir() -> Path:
    return Path(__file__).parent / "data"
