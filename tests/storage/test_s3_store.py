"""S3Store against the conformance suite on moto's server over real HTTP, plus S3 specifics."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tempo_py.storage.base import InvalidKey, ObjectStore, StorageError
from tempo_py.storage.s3 import S3Store, endpoint_url
from tempo_py.testing.store_tests import StoreTests
from tests.support.moto_server import MotoS3


class TestS3Store(StoreTests):
    @pytest.fixture
    async def store(self, moto_s3: MotoS3, s3_bucket: str) -> AsyncIterator[ObjectStore]:
        store = moto_s3.store(s3_bucket)
        yield store
        await store.close()


class TestS3StoreWithPrefix(StoreTests):
    @pytest.fixture
    async def store(self, moto_s3: MotoS3, s3_bucket: str) -> AsyncIterator[ObjectStore]:
        store = moto_s3.store(s3_bucket, prefix="/tempo/traces/")
        yield store
        await store.close()


async def test_prefix_is_applied_and_stripped(moto_s3: MotoS3, s3_bucket: str) -> None:
    store = moto_s3.store(s3_bucket, prefix="tempo")
    other = moto_s3.store(s3_bucket)
    try:
        await store.put("t/meta.json", b"{}")
        await other.put("outside", b"x")
        raw = moto_s3.client().list_objects_v2(Bucket=s3_bucket)
        assert sorted(o["Key"] for o in raw.get("Contents", [])) == ["outside", "tempo/t/meta.json"]
        assert await store.list("") == ["t/meta.json"]
    finally:
        await store.close()
        await other.close()


async def test_list_paginates(moto_s3: MotoS3, s3_bucket: str) -> None:
    store = moto_s3.store(s3_bucket, list_page_size=2)
    try:
        keys = [f"p/{i}" for i in range(7)]
        for k in keys:
            await store.put(k, b"")
        assert await store.list("p/") == keys
    finally:
        await store.close()


async def test_missing_bucket_is_a_storage_error(moto_s3: MotoS3) -> None:
    store = moto_s3.store("no-such-bucket-here")
    try:
        with pytest.raises(StorageError, match="NoSuchBucket"):
            await store.get("k")
    finally:
        await store.close()


def test_bad_prefix_rejected() -> None:
    with pytest.raises(InvalidKey):
        S3Store("b", prefix="a/../b", endpoint="http://127.0.0.1:1")


def test_endpoint_url() -> None:
    assert endpoint_url(None, False) is None
    assert endpoint_url("minio:9000", True) == "http://minio:9000"
    assert endpoint_url("s3.us-east-2.amazonaws.com", False) == "https://s3.us-east-2.amazonaws.com"
    assert endpoint_url("http://127.0.0.1:9000", False) == "http://127.0.0.1:9000"
