"""Fixtures of the pathways tests.

``client``: this service on one database per session, CCSS imported, with the real profiles app
(demo district and test fixtures) in process for the schools the ownership rule reads. ``live_apps``: the
real profiles (demo district seeded), assessment (demo items and skill checks seeded) and
pathways (demo catalogue seeded) apps in process, pathways calling the other two over ASGI; one
fresh set of databases per test module, so modules never see each other's changes.
"""

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from pathwise_assessment.app import create_app as create_assessment
from pathwise_assessment.migrations import MIGRATIONS as ASSESSMENT_MIGRATIONS
from pathwise_assessment.seed import seed_demo as seed_assessment
from pathwise_assessment.settings import AssessmentSettings
from pathwise_devstack.fixtures import app_fixture, database_fixture, profiles_beside
from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_pathways.app import create_app
from pathwise_pathways.migrations import MIGRATIONS
from pathwise_pathways.seed import import_shared_frameworks, seed_demo
from pathwise_pathways.settings import PathwaysSettings
from pathwise_profiles.seed import seed_demo as seed_profiles
from pathwise_shared.auth import Principal
from pathwise_shared.calls import ServiceCaller

# ``client``: pathways with profiles beside it (the schools the ownership rule reads).
profiles_db = database_fixture("profiles")
profiles = profiles_beside("profiles_db")
pathways_db = database_fixture("pathways")
client = app_fixture(
    create_app,
    MIGRATIONS,
    lambda db: PathwaysSettings(database_url=db.url, environment="test"),
    database="pathways_db",
    upstreams={"profiles": "profiles"},
    seed=[import_shared_frameworks],
)

# ``live_apps``: the three apps on the demo seed, a fresh set of databases per test module.
live_profiles_db = database_fixture("profiles", scope="module")
live_profiles = profiles_beside("live_profiles_db", seed=[seed_profiles], scope="module")
live_assessment_db = database_fixture("assessment", scope="module")
live_assessment = app_fixture(
    create_assessment,
    ASSESSMENT_MIGRATIONS,
    lambda db: AssessmentSettings(database_url=db.url, environment="test", outbox_relay=False),
    database="live_assessment_db",
    upstreams={"profiles": "live_profiles"},
    seed=[seed_assessment],
    scope="module",
)
live_pathways_db = database_fixture("pathways", scope="module")
live = app_fixture(
    create_app,
    MIGRATIONS,
    lambda db: PathwaysSettings(database_url=db.url, environment="test", outbox_relay=False),
    database="live_pathways_db",
    upstreams={"profiles": "live_profiles", "assessment": "live_assessment"},
    seed=[seed_demo],
    scope="module",
)


@dataclass(frozen=True)
class LiveApps:
    profiles: ServiceClient
    assessment: ServiceClient
    pathways: ServiceClient


@pytest.fixture(scope="module")
def live_apps(
    live_profiles: ServiceClient, live_assessment: ServiceClient, live: ServiceClient
) -> LiveApps:
    # Assessment checks skill codes with pathways, and pathways reads assessment: the two
    # fixtures cannot depend on each other, so assessment's pathways caller is pointed at the
    # in-process pathways here (otherwise it would call the default port, whatever runs there).
    live_assessment.app.state.upstreams.pathways = ServiceCaller("pathways", live, live.secret)
    return LiveApps(live_profiles, live_assessment, live)


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
