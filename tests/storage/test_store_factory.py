"""store_from_config picks and configures the backend named in the config."""

from __future__ import annotations

from pathlib import Path

import pytest

from tempo_py.storage.factory import S3Settings, store_from_config
from tempo_py.storage.local import LocalStore
from tempo_py.storage.memory import MemoryStore
from tempo_py.storage.s3 import S3Store
from tests.support.moto_server import MotoS3


async def test_local(tmp_path: Path) -> None:
    store = store_from_config("local", local_path=str(tmp_path / "blocks"), s3=None)
    assert isinstance(store, LocalStore)
    await store.put("x", b"1")
    assert (tmp_path / "blocks" / "x").read_bytes() == b"1"


def test_memory() -> None:
    assert isinstance(store_from_config("memory", local_path="", s3=None), MemoryStore)


async def test_s3_uses_settings(moto_s3: MotoS3, s3_bucket: str) -> None:
    host = moto_s3.endpoint.removeprefix("http://")
    settings = S3Settings(
        bucket=s3_bucket,
        endpoint=host,  # Tempo style: bare host, insecure selects http
        region=moto_s3.region,
        access_key=moto_s3.access_key,
        secret_key=moto_s3.secret_key,
        insecure=True,
        forcepathstyle=True,
        prefix="traces",
    )
    store = store_from_config("s3", local_path="", s3=settings)
    assert isinstance(store, S3Store)
    try:
        await store.put("k", b"v")
        assert moto_s3.client().get_object(Bucket=s3_bucket, Key="traces/k")["Body"].read() == b"v"
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("backend", "local_path", "s3", "message"),
    [
        ("gcs", "/tmp", None, "unknown storage.trace.backend 'gcs'"),
        ("s3", "", None, "storage.trace.s3.bucket"),
        ("s3", "", S3Settings("", None, None, None, None, False, False, ""), "storage.trace.s3.bucket"),
        ("local", "", None, "storage.trace.local.path"),
    ],
)
def test_bad_config(backend: str, local_path: str, s3: S3Settings | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        store_from_config(backend, local_path=local_path, s3=s3)
