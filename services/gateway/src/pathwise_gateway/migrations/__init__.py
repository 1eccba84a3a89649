"""Alembic environment of the gateway service (version table ``alembic_version_gateway``)."""

from pathwise_shared.db.migrations import MigrationSpec

__all__ = ["MIGRATIONS"]

MIGRATIONS = MigrationSpec(service="gateway", package="pathwise_gateway")
