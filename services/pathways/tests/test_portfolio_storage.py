"""Both file stores behind one interface: the local directory and an S3-compatible server
(moto's, started here on a loopback port)."""

import asyncio
import io
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer
from pydantic import SecretStr

from pathwise_devstack.stack import free_ports
from pathwise_pathways.service.storage import FileStore, LocalFileStore, S3FileStore, make_store
from pathwise_pathways.settings import PathwaysSettings

BUCKET = "portfolio-test"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    (port,) = free_ports(1)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    boto3.client(
        "s3", endpoint_url=url, aws_access_key_id="test", aws_secret_access_key="test",
        region_name="us-east-1",
    ).create_bucket(Bucket=BUCKET)  # fmt: skip
    try:
        yield url
    finally:
        server.stop()


def s3_store(endpoint: str) -> S3FileStore:
    settings = PathwaysSettings(
        storage_backend="s3",
        s3_endpoint_url=endpoint,
        s3_bucket=BUCKET,
        s3_access_key_id="test",
        s3_secret_access_key=SecretStr("test"),
    )
    store = make_store(settings)
    assert isinstance(store, S3FileStore)
    return store


async def _read(store: FileStore, key: str) -> bytes:
    return b"".join([chunk async for chunk in store.get(key)])


async def _round_trip(store: LocalFileStore | S3FileStore) -> None:
    payload = bytes(range(256)) * 4000  # about 1 MB: several chunks
    key = "portfolio/learner/abc123"
    assert not await store.exists(key)
    await store.put(key, io.BytesIO(payload), "image/png")
    assert await store.exists(key)
    assert await _read(store, key) == payload
    assert store.keys() == [key]
    await store.delete(key)
    assert not await store.exists(key)
    assert store.keys() == []
    await store.delete(key)  # deleting what is gone is fine
    with pytest.raises(FileNotFoundError):
        await _read(store, key)


def test_local_store_round_trip(tmp_path: object) -> None:
    from pathlib import Path

    root = Path(str(tmp_path)) / "files"
    store = make_store(PathwaysSettings(storage_dir=root))
    assert isinstance(store, LocalFileStore)
    asyncio.run(_round_trip(store))


def test_local_store_stays_in_its_root(tmp_path: object) -> None:
    from pathlib import Path

    store = LocalFileStore(Path(str(tmp_path)))
    with pytest.raises(ValueError, match="bad storage key"):
        asyncio.run(store.put("../outside", io.BytesIO(b"x"), "text/plain"))


def test_local_store_leaves_nothing_when_a_write_fails(tmp_path: object) -> None:
    from pathlib import Path

    class Broken(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            raise OSError("the upload was cut")

    store = LocalFileStore(Path(str(tmp_path)))
    with pytest.raises(OSError, match="cut"):
        asyncio.run(store.put("portfolio/l/k", Broken(), "image/png"))
    assert [p for p in Path(str(tmp_path)).rglob("*") if p.is_file()] == []


def test_s3_store_round_trip(s3_endpoint: str) -> None:
    asyncio.run(_round_trip(s3_store(s3_endpoint)))


def test_s3_store_keeps_the_sniffed_type(s3_endpoint: str) -> None:
    store = s3_store(s3_endpoint)
    asyncio.run(store.put("portfolio/l/typed", io.BytesIO(b"%PDF-1.7"), "application/pdf"))
    head = store.client.head_object(Bucket=BUCKET, Key="portfolio/l/typed")
    assert head["ContentType"] == "application/pdf"
    asyncio.run(store.delete("portfolio/l/typed"))


def test_s3_needs_a_bucket() -> None:
    with pytest.raises(ValueError, match="BUCKET"):
        make_store(PathwaysSettings(storage_backend="s3"))
