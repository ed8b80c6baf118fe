"""MemoryStore against the conformance suite."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tempo_py.storage.base import ObjectStore
from tempo_py.storage.memory import MemoryStore
from tempo_py.testing.store_tests import StoreTests


class TestMemoryStore(StoreTests):
    @pytest.fixture
    async def store(self) -> AsyncIterator[ObjectStore]:
        store = MemoryStore()
        yield store
        await store.close()


async def test_put_copies_mutable_buffers() -> None:
    store = MemoryStore()
    buf = bytearray(b"abc")
    await store.put("k", buf)  # type: ignore[arg-type]  # callers may pass a bytearray
    buf[0] = ord("z")
    assert await store.get("k") == b"abc"
