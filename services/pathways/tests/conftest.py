"""Fixtures of the pathways tests.

``client``: this service on one database per session, CCSS imported, with the real profiles app
(demo district and test fixtures) in process for the schools the ownership rule reads. ``live_apps``: the
real profiles (demo district seeded), assessment (demo items and skill checks seeded) and
pathways (demo catalogue seeded) apps in process, pathways calling the other two over ASGI; one
fresh set of databases per test module, so modules never see each other's changes.
"""

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import pytest

from pathwise_assessment.app import create_app as create_assessment
from pathwise_assessment.migrations import MIGRATIONS as ASSESSMENT_MIGRATIONS
from pathwise_assessment.seed import seed_demo as seed_assessment
from pathwise_assessment.settings import AssessmentSettings
from pathwise_devstack.profiles_fixtures import insert_fixtures
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
from pathwise_pathways.seed import import_shared_frameworks, seed_demo
from pathwise_pathways.settings import PathwaysSettings
from pathwise_profiles.app import create_app as create_profiles
from pathwise_profiles.migrations import MIGRATIONS as PROFILES_MIGRATIONS
from pathwise_profiles.seed import seed_demo as seed_profiles
from pathwise_profiles.settings import ProfilesSettings
from pathwise_shared.auth import Principal
from pathwise_shared.db import Database


@pytest.fixture(scope="session")
def pathways_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    db = create_test_database("pathways", tmp_path_factory.mktemp("pathways"))
    yield db
    drop_test_database(db)


@pytest.fixture(scope="session")
async def profiles(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ServiceClient]:
    db = create_test_database("profiles", tmp_path_factory.mktemp("pathways-profiles"))
    settings = ProfilesSettings(database_url=db.url, environment="test", outbox_relay=False)
    try:
        async with service_client(create_profiles, settings, PROFILES_MIGRATIONS) as c:
            fixtures_db = Database(db.url)
            try:
                await insert_fixtures(fixtures_db)
            finally:
                await fixtures_db.dispose()
            yield c
    finally:
        drop_test_database(db)


@pytest.fixture(scope="session")
async def client(
    pathways_db: TestDatabase, profiles: ServiceClient
) -> AsyncIterator[ServiceClient]:
    settings = PathwaysSettings(database_url=pathways_db.url, environment="test")

    def factory(s: PathwaysSettings) -> object:
        return create_app(s, upstream_clients={"profiles": profiles})

    async with service_client(factory, settings, MIGRATIONS) as c:  # type: ignore[arg-type]
        await import_shared_frameworks(pathways_db.url)
        yield c


@dataclass(frozen=True)
class LiveApps:
    profiles: ServiceClient
    assessment: ServiceClient
    pathways: ServiceClient


@pytest.fixture(scope="module")
def live_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TestDatabase]]:
    directory = tmp_path_factory.mktemp("pathways-live")
    dbs = {n: create_test_database(n, directory) for n in ("profiles", "assessment", "pathways")}
    yield dbs
    for db in dbs.values():
        drop_test_database(db)


@pytest.fixture(scope="module")
async def live_apps(live_databases: dict[str, TestDatabase]) -> AsyncIterator[LiveApps]:
    dbs = live_databases
    async with AsyncExitStack() as stack:
        profiles = await stack.enter_async_context(
            service_client(
                create_profiles,
                ProfilesSettings(
                    database_url=dbs["profiles"].url, environment="test", outbox_relay=False
                ),
                PROFILES_MIGRATIONS,
            )
        )
        await seed_profiles(dbs["profiles"].url)
        assessment = await stack.enter_async_context(
            service_client(
                lambda s: create_assessment(s, upstream_clients={"profiles": profiles}),
                AssessmentSettings(
                    database_url=dbs["assessment"].url, environment="test", outbox_relay=False
                ),
                ASSESSMENT_MIGRATIONS,
            )
        )
        await seed_assessment(dbs["assessment"].url)
        pathways = await stack.enter_async_context(
            service_client(
                lambda s: create_app(
                    s, upstream_clients={"profiles": profiles, "assessment": assessment}
                ),
                PathwaysSettings(
                    database_url=dbs["pathways"].url, environment="test", outbox_relay=False
                ),
                MIGRATIONS,
            )
        )
        await seed_demo(dbs["pathways"].url)
        yield LiveApps(profiles, assessment, pathways)


@pytest.fixture(scope="module")
def live(live_apps: LiveApps) -> ServiceClient:
    return live_apps.pathways


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
