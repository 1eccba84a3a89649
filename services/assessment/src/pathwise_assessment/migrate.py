"""``python -m pathwise_assessment.migrate [upgrade|downgrade|check|revision] …``: Alembic for this service."""

from pathwise_assessment.migrations import MIGRATIONS
from pathwise_assessment.settings import get_settings
from pathwise_shared.db.cli import main

if __name__ == "__main__":
    main(MIGRATIONS, get_settings().database_url)
