"""docker-compose.yml cannot be started here (no Docker engine): check what can be checked.

Every service is there with its migration step, only the gateway is published, ports match the
code's defaults, and every environment variable is one the service's settings really read.
"""

from pathlib import Path
from typing import Any

import pytest
import yaml

from pathwise_devstack.services import SERVICES
from pathwise_shared.settings import SERVICE_PORTS

ROOT = Path(__file__).resolve().parents[1]
NAMES = [spec.name for spec in SERVICES]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_every_service_and_its_migration_are_declared(compose: dict[str, Any]) -> None:
    names = set(compose["services"])
    assert names == {"postgres", *NAMES, *(f"migrate-{n}" for n in NAMES)}


@pytest.mark.parametrize("name", NAMES)
def test_service_waits_for_its_own_migration(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    assert service["depends_on"][f"migrate-{name}"] == {
        "condition": "service_completed_successfully"
    }
    migrate = compose["services"][f"migrate-{name}"]
    assert migrate["command"] == ["python", "-m", f"pathwise_{name}.migrate", "upgrade", "head"]
    # One image recipe for every service, told which one to be by its build arguments.
    for key in (name, f"migrate-{name}"):
        build = compose["services"][key]["build"]
        assert build["dockerfile"] == "deploy/Dockerfile"
        assert build["args"] == {"SERVICE": name, "PORT": str(SERVICE_PORTS[name])}
    assert (ROOT / "deploy" / "Dockerfile").is_file()


def test_only_the_gateway_is_published(compose: dict[str, Any]) -> None:
    published = {name for name, svc in compose["services"].items() if "ports" in svc}
    assert published == {"gateway"}
    assert compose["services"]["gateway"]["ports"] == [
        f"{SERVICE_PORTS['gateway']}:{SERVICE_PORTS['gateway']}"
    ]


@pytest.mark.parametrize("name", NAMES)
def test_environment_matches_settings(compose: dict[str, Any], name: str) -> None:
    spec = next(s for s in SERVICES if s.name == name)
    known = spec.settings_class.environment_variables()
    for key in (name, f"migrate-{name}"):
        env = compose["services"][key]["environment"]
        unknown = set(env) - set(known)
        assert not unknown, f"{key} sets variables its settings never read: {sorted(unknown)}"
        assert env[f"{spec.env_prefix}DATABASE_URL"].startswith("postgresql://")
        assert env["PATHWISE_ENV"] == "production"
    env = compose["services"][name]["environment"]
    assert env[f"{spec.env_prefix}PORT"] == str(SERVICE_PORTS[name])
    assert str(SERVICE_PORTS[name]) in compose["services"][name]["healthcheck"]["test"][-1]
    for other in NAMES:
        assert env[f"PATHWISE_{other.upper()}_URL"] == f"http://{other}:{SERVICE_PORTS[other]}"


def test_postgres_creates_one_database_per_service(compose: dict[str, Any]) -> None:
    init = (ROOT / "deploy" / "postgres-init.sql").read_text()
    for name in NAMES:
        assert f"CREATE DATABASE {name};" in init
