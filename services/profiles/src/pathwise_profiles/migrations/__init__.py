"""Alembic environment of the profiles service (version table ``alembic_version_profiles``)."""

from pathwise_shared.db.migrations import MigrationSpec

__all__ = ["MIGRATIONS"]

MIGRATIONS = MigrationSpec(service="profiles", package="pathwise_profiles")
