"""``python -m pathwise_gateway.migrate [upgrade|downgrade|check|revision] …``: Alembic for this service."""

from pathwise_gateway.migrations import MIGRATIONS
from pathwise_gateway.settings import get_settings
from pathwise_shared.db.cli import main

if __name__ == "__main__":
    main(MIGRATIONS, get_settings().database_url)
