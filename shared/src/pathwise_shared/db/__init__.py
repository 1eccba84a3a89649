"""Database plumbing shared by the four services: engines, sessions, types, migrations, outbox.

Each service owns its models, its migrations and its queries; this package only holds what is the
same for all four (see docs/architecture.md, "What lives in shared").
"""

from pathwise_shared.db.engine import Database, async_url, begin_write, sync_url
from pathwise_shared.db.metadata import NAMING_CONVENTION, make_metadata
from pathwise_shared.db.types import UTCDateTime
from pathwise_shared.db.uow import commit_now, transaction, unit_of_work

__all__ = [
    "NAMING_CONVENTION",
    "Database",
    "UTCDateTime",
    "async_url",
    "begin_write",
    "commit_now",
    "make_metadata",
    "sync_url",
    "transaction",
    "unit_of_work",
]
