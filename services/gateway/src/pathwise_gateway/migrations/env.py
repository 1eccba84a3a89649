# The event hub's and webhooks' tables live in their own module (it imports Base, so it cannot be
# imported from models.py); importing it registers them on Base.metadata, so Alembic sees them.
import pathwise_gateway.deletions.models
import pathwise_gateway.events.models
import pathwise_gateway.exports.models  # noqa: F401
from pathwise_gateway.models import Base
from pathwise_shared.db.migrations import run_env

run_env(Base.metadata)
