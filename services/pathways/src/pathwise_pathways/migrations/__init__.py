"""Alembic environment of the pathways service (version table ``alembic_version_pathways``)."""

from pathwise_shared.db.migrations import MigrationSpec

__all__ = ["MIGRATIONS"]

MIGRATIONS = MigrationSpec(service="pathways", package="pathwise_pathways")
