"""Alembic environment of the assessment service (version table ``alembic_version_assessment``)."""

from pathwise_shared.db.migrations import MigrationSpec

__all__ = ["MIGRATIONS"]

MIGRATIONS = MigrationSpec(service="assessment", package="pathwise_assessment")
