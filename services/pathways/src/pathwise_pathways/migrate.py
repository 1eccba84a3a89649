"""``python -m pathwise_pathways.migrate [upgrade|downgrade|check|revision] …``: Alembic for this service."""

from pathwise_pathways.migrations import MIGRATIONS
from pathwise_pathways.settings import get_settings
from pathwise_shared.db.cli import main

if __name__ == "__main__":
    main(MIGRATIONS, get_settings().database_url)
