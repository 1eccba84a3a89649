"""The assessment app in-process, with the real profiles and pathways apps in-process beside it
(``pathwise_devstack.fixtures`` builds them all; each app has a database of its own)."""

from pathwise_assessment.app import create_app
from pathwise_assessment.migrations import MIGRATIONS
from pathwise_assessment.seed import seed_demo
from pathwise_assessment.settings import AssessmentSettings
from pathwise_devstack.fixtures import app_fixture, database_fixture, profiles_beside
from pathwise_devstack.testing import TestDatabase
from pathwise_pathways.app import create_app as create_pathways
from pathwise_pathways.migrations import MIGRATIONS as PATHWAYS_MIGRATIONS
from pathwise_pathways.seed import import_shared_frameworks
from pathwise_pathways.settings import PathwaysSettings


def _settings(db: TestDatabase) -> AssessmentSettings:
    return AssessmentSettings(database_url=db.url, environment="test", outbox_relay=False)


NEIGHBOURS = {"profiles": "profiles", "pathways": "pathways"}

profiles_db = database_fixture("profiles")
profiles = profiles_beside("profiles_db")
pathways_db = database_fixture("pathways")
pathways = app_fixture(
    create_pathways,
    PATHWAYS_MIGRATIONS,
    lambda db: PathwaysSettings(database_url=db.url, environment="test", outbox_relay=False),
    database="pathways_db",
    seed=[import_shared_frameworks],
)

assessment_db = database_fixture("assessment")
api = app_fixture(
    create_app,
    MIGRATIONS,
    _settings,
    database="assessment_db",
    upstreams=NEIGHBOURS,
    seed=[seed_demo],
)
# A second assessment app on a database of its own, for tests of jobs that sweep the whole
# database (they must not change what the other tests' learners have mastered).
assessment_own_db = database_fixture("assessment_own")
api_own = app_fixture(
    create_app, MIGRATIONS, _settings, database="assessment_own_db", upstreams=NEIGHBOURS
)
# Assessment with nothing listening where pathways and profiles should be.
assessment_down_db = database_fixture("assessment_down")
api_pathways_down = app_fixture(
    create_app,
    MIGRATIONS,
    _settings,
    database="assessment_down_db",
    unreachable_upstreams=["profiles", "pathways"],
)
