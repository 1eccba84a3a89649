"""Fixtures of the pathways tests: one real database and app per session, CCSS imported."""

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from pathwise_devstack.testing import (
    ServiceClient,
    TestDatabase,
    create_test_database,
    drop_test_database,
    make_principal,
    service_client,
)
from pathwise_pathways.app import create_app
from pathwise_pathways.migrations import MIGRATIONS
from pathwise_pathways.seed import import_shared_frameworks
from pathwise_pathways.settings import PathwaysSettings
from pathwise_shared.auth import Principal


@pytest.fixture(scope="session")
def pathways_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    db = create_test_database("pathways", tmp_path_factory.mktemp("pathways"))
    yield db
    drop_test_database(db)


@pytest.fixture(scope="session")
async def client(pathways_db: TestDatabase) -> AsyncIterator[ServiceClient]:
    settings = PathwaysSettings(database_url=pathways_db.url, environment="test")
    async with service_client(create_app, settings, MIGRATIONS) as c:
        await import_shared_frameworks(pathways_db.url)
        yield c


@pytest.fixture(scope="session")
def district() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture(scope="session")
def admin(district: uuid.UUID) -> Principal:
    return make_principal(district, roles=["district_admin"])


@pytest.fixture(scope="session")
def teacher(district: uuid.UUID) -> Principal:
    return make_principal(district, roles=["teacher"])


@pytest.fixture(scope="session")
def student(district: uuid.UUID) -> Principal:
    return make_principal(district, roles=["student"])


@pytest.fixture
def case_package() -> dict[str, Any]:
    def link(ident: str, title: str = "") -> dict[str, str]:
        return {"identifier": ident, "title": title, "uri": f"https://example.org/{ident}"}

    return {
        "CFDocument": {
            "identifier": "doc-1",
            "title": "Riverside Number Sense",
            "subject": ["math"],
        },
        "CFItems": [
            {"identifier": "i-root", "humanCodingScheme": "RNS", "fullStatement": "Number sense"},
            {
                "identifier": "i-1",
                "humanCodingScheme": "RNS.1",
                "fullStatement": "Count to 20. Then beyond.",
                "educationLevel": ["KG"],
            },
            {"identifier": "i-2", "humanCodingScheme": "RNS.2", "fullStatement": "Add within 10."},
        ],
        "CFAssociations": [
            {
                "associationType": "isChildOf",
                "originNodeURI": link("i-1"),
                "destinationNodeURI": link("i-root"),
            },
            {
                "associationType": "isChildOf",
                "originNodeURI": link("i-2"),
                "destinationNodeURI": link("i-root"),
            },
            {
                "associationType": "isChildOf",
                "originNodeURI": link("i-root"),
                "destinationNodeURI": link("doc-1"),
            },
            {
                "associationType": "precedes",
                "originNodeURI": link("i-1"),
                "destinationNodeURI": link("i-2"),
            },
            {
                "associationType": "exactMatchOf",
                "originNodeURI": link("i-2"),
                "destinationNodeURI": link("ext-9", "K.OA.A.5"),
            },
            {
                "associationType": "precedes",
                "originNodeURI": link("i-2"),
                "destinationNodeURI": link("gone"),
            },
        ],
    }
