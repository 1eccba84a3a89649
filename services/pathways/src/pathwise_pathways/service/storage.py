"""Where portfolio files live (docs/pathways.md, "Portfolio"): the shared file stores
(``pathwise_shared.storage``, also used by profiles' message attachments), chosen by this
service's settings. Keys are made by the service (``domain.portfolio.new_storage_key``), never
from a client's file name.
"""

from pathwise_pathways.settings import PathwaysSettings
from pathwise_shared.storage import CHUNK, FileStore, LocalFileStore, S3FileStore
from pathwise_shared.storage import make_store as _make_store

__all__ = ["CHUNK", "FileStore", "LocalFileStore", "S3FileStore", "make_store"]


def make_store(settings: PathwaysSettings) -> LocalFileStore | S3FileStore:
    return _make_store(
        settings.storage_backend,
        directory=settings.storage_dir,
        bucket=settings.s3_bucket,
        endpoint_url=settings.s3_endpoint_url,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=settings.s3_secret_access_key.get_secret_value(),
        region=settings.s3_region,
        env_prefix="PATHWAYS_",
    )
