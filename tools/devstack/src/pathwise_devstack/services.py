"""The four services as the launcher sees them: name, package, settings, migrations."""

from dataclasses import dataclass

from pathwise_assessment.migrations import MIGRATIONS as ASSESSMENT_MIGRATIONS
from pathwise_assessment.settings import AssessmentSettings
from pathwise_gateway.migrations import MIGRATIONS as GATEWAY_MIGRATIONS
from pathwise_gateway.settings import GatewaySettings
from pathwise_pathways.migrations import MIGRATIONS as PATHWAYS_MIGRATIONS
from pathwise_pathways.settings import PathwaysSettings
from pathwise_profiles.migrations import MIGRATIONS as PROFILES_MIGRATIONS
from pathwise_profiles.settings import ProfilesSettings
from pathwise_shared.db.migrations import MigrationSpec
from pathwise_shared.settings import ServiceSettings

__all__ = ["SERVICES", "ServiceSpec"]


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    settings_class: type[ServiceSettings]
    migrations: MigrationSpec

    @property
    def package(self) -> str:
        return f"pathwise_{self.name}"

    @property
    def env_prefix(self) -> str:
        return f"{self.name.upper()}_"

    @property
    def app_factory(self) -> str:
        return f"{self.package}.app:create_app"


# Start order: the services first, the gateway (which calls them) last.
SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("profiles", ProfilesSettings, PROFILES_MIGRATIONS),
    ServiceSpec("pathways", PathwaysSettings, PATHWAYS_MIGRATIONS),
    ServiceSpec("assessment", AssessmentSettings, ASSESSMENT_MIGRATIONS),
    ServiceSpec("gateway", GatewaySettings, GATEWAY_MIGRATIONS),
)
