"""``python -m pathwise_profiles.migrate [upgrade|downgrade|check|revision] …``: Alembic for this service."""

from pathwise_profiles.migrations import MIGRATIONS
from pathwise_profiles.settings import get_settings
from pathwise_shared.db.cli import main

if __name__ == "__main__":
    main(MIGRATIONS, get_settings().database_url)
