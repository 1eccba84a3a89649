"""Where uploaded files live, behind one interface (``FileStore``): a directory of this machine
(the embedded default) or any S3-compatible store. Pathways keeps portfolio files here, profiles
message attachments (each service its own directory or bucket, chosen by its settings). Keys are
made by the service (random, never from a client's file name).

Both stores are written so that a file is there whole or not at all: the local store writes a
temporary file beside the target and renames it; an S3 ``PutObject`` is atomic. boto3 is
synchronous, so its calls run in a worker thread (one file at a time per request, which is what
an upload is).
"""

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal, Protocol

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["CHUNK", "FileStore", "LocalFileStore", "S3FileStore", "StorageBackend", "make_store"]

StorageBackend = Literal["local", "s3"]

CHUNK = 256 * 1024


class FileStore(Protocol):
    async def put(self, key: str, source: BinaryIO, content_type: str) -> None:
        """Store ``source`` (read from where it is to its end) under ``key``, whole or not at all."""
        ...

    def get(self, key: str) -> AsyncIterator[bytes]:
        """The file's bytes in chunks; ``FileNotFoundError`` when there is none."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the file; nothing when there is none."""
        ...

    async def exists(self, key: str) -> bool: ...


class LocalFileStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        # Keys are ours, but a store must never reach outside its root whatever it is given.
        if not path.is_relative_to(self.root) or path == self.root:
            raise ValueError(f"bad storage key {key!r}")
        return path

    def _put(self, key: str, source: BinaryIO) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := source.read(CHUNK):
                    out.write(chunk)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def put(self, key: str, source: BinaryIO, content_type: str) -> None:
        await asyncio.to_thread(self._put, key, source)

    async def get(self, key: str) -> AsyncIterator[bytes]:
        handle = await asyncio.to_thread(self._path(key).open, "rb")
        try:
            while chunk := await asyncio.to_thread(handle.read, CHUNK):
                yield chunk
        finally:
            handle.close()

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    def keys(self) -> list[str]:
        """Every stored key (tests and operators: what is there)."""
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in self.root.rglob("*")
            if p.is_file() and not p.name.startswith(".part-")
        )


class S3FileStore:
    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None,
        access_key_id: str,
        secret_access_key: str,
        region: str,
    ) -> None:
        # boto3 is imported here, not at the top: it costs about a third of a second at every
        # service's start-up, and only a deployment that chose S3 needs it.
        import boto3
        from botocore.config import Config
        from botocore.exceptions import ClientError

        self._client_error = ClientError
        self.bucket = bucket
        self.client: S3Client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            region_name=region,
            # Path-style addressing works with every S3-compatible server (MinIO, Ceph, moto),
            # which do not all resolve bucket subdomains.
            config=Config(s3={"addressing_style": "path"}, retries={"mode": "standard"}),
        )

    async def put(self, key: str, source: BinaryIO, content_type: str) -> None:
        await asyncio.to_thread(
            self.client.upload_fileobj,
            source,
            self.bucket,
            key,
            ExtraArgs={"ContentType": content_type},
        )

    async def get(self, key: str) -> AsyncIterator[bytes]:
        try:
            answer = await asyncio.to_thread(self.client.get_object, Bucket=self.bucket, Key=key)
        except self._client_error as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                raise FileNotFoundError(key) from exc
            raise
        body = answer["Body"]
        try:
            while chunk := await asyncio.to_thread(body.read, CHUNK):
                yield chunk
        finally:
            body.close()

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=key)

    async def exists(self, key: str) -> bool:
        try:
            await asyncio.to_thread(self.client.head_object, Bucket=self.bucket, Key=key)
        except self._client_error as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404", "NotFound"}:
                return False
            raise
        return True

    def keys(self) -> list[str]:
        """Every stored key (tests and operators: what is there)."""
        found: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            found.extend(str(item["Key"]) for item in page.get("Contents", []))
        return sorted(found)


def make_store(
    backend: StorageBackend,
    *,
    directory: Path,
    bucket: str = "",
    endpoint_url: str | None = None,
    access_key_id: str = "",
    secret_access_key: str = "",
    region: str = "us-east-1",
    env_prefix: str = "",
) -> LocalFileStore | S3FileStore:
    """The store a service's settings name (``env_prefix`` only words the error)."""
    if backend == "s3":
        if not bucket:
            raise ValueError(
                f"{env_prefix}S3_BUCKET is required with {env_prefix}STORAGE_BACKEND=s3"
            )
        return S3FileStore(
            bucket,
            endpoint_url=endpoint_url,
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
            region=region,
        )
    return LocalFileStore(directory)
