"""The conformance suite every ObjectStore backend passes.

A backend's test module subclasses :class:`StoreTests` and provides one async ``store`` fixture
yielding a fresh, empty store; every test here then runs against that backend::

    class TestMemoryStore(StoreTests):
        @pytest.fixture
        async def store(self) -> AsyncIterator[ObjectStore]:
            s = MemoryStore()
            yield s
            await s.close()
"""

from __future__ import annotations

import asyncio
import os

import pytest

from tempo_py.storage.base import InvalidKey, ObjectNotFound, ObjectStore

INVALID_KEYS = ["", "/abs", "a//b", "a/./b", "../escape", "a/../../b", "a/..", "trailing/", "a\\b", "nul\x00"]


class StoreTests:
    """Behaviour every :class:`~tempo_py.storage.base.ObjectStore` must show. Subclass, add ``store``."""

    async def test_protocol(self, store: ObjectStore) -> None:
        assert isinstance(store, ObjectStore)

    async def test_put_get_roundtrip(self, store: ObjectStore) -> None:
        await store.put("tenant/block/data.parquet", b"hello")
        assert await store.get("tenant/block/data.parquet") == b"hello"

    async def test_empty_object(self, store: ObjectStore) -> None:
        await store.put("empty", b"")
        assert await store.get("empty") == b""
        assert await store.get_range("empty", 0, 10) == b""
        assert await store.list("") == ["empty"]

    async def test_overwrite(self, store: ObjectStore) -> None:
        await store.put("k", b"first version, longer")
        await store.put("k", b"second")
        assert await store.get("k") == b"second"
        assert await store.list("") == ["k"]

    async def test_missing_object(self, store: ObjectStore) -> None:
        with pytest.raises(ObjectNotFound) as info:
            await store.get("no/such/key")
        assert info.value.key == "no/such/key"
        with pytest.raises(ObjectNotFound):
            await store.get_range("no/such/key", 0, 10)
        with pytest.raises(ObjectNotFound):
            await store.get_range("no/such/key", 0, 0)

    async def test_prefix_of_a_key_is_not_an_object(self, store: ObjectStore) -> None:
        await store.put("dir/obj", b"x")
        with pytest.raises(ObjectNotFound):
            await store.get("dir")

    async def test_get_range(self, store: ObjectStore) -> None:
        data = bytes(range(100))
        await store.put("r", data)
        assert await store.get_range("r", 0, 10) == data[:10]
        assert await store.get_range("r", 40, 20) == data[40:60]
        assert await store.get_range("r", 90, 10) == data[90:]
        assert await store.get_range("r", 95, 10) == data[95:]  # fewer bytes at the end
        assert await store.get_range("r", 100, 5) == b""
        assert await store.get_range("r", 500, 5) == b""
        assert await store.get_range("r", 7, 0) == b""
        assert await store.get_range("r", 0, 100) == data

    async def test_get_range_negative(self, store: ObjectStore) -> None:
        await store.put("r", b"abc")
        with pytest.raises(ValueError):
            await store.get_range("r", -1, 2)
        with pytest.raises(ValueError):
            await store.get_range("r", 0, -2)

    async def test_put_if_absent(self, store: ObjectStore) -> None:
        assert await store.put_if_absent("lock", b"one") is True
        assert await store.put_if_absent("lock", b"two") is False
        assert await store.get("lock") == b"one"
        await store.delete("lock")
        assert await store.put_if_absent("lock", b"three") is True
        assert await store.get("lock") == b"three"

    async def test_concurrent_put_if_absent(self, store: ObjectStore) -> None:
        payloads = [f"writer-{i}".encode() for i in range(10)]
        results = await asyncio.gather(*(store.put_if_absent("race/key", p) for p in payloads))
        assert sum(results) == 1
        winner = payloads[results.index(True)]
        assert await store.get("race/key") == winner

    async def test_delete(self, store: ObjectStore) -> None:
        await store.put("a/b/c", b"x")
        await store.put("a/b/d", b"y")
        await store.delete("a/b/c")
        with pytest.raises(ObjectNotFound):
            await store.get("a/b/c")
        assert await store.get("a/b/d") == b"y"
        await store.delete("a/b/c")  # idempotent
        await store.delete("never/existed")
        await store.delete("a/b/d")
        assert await store.list("") == []
        await store.put("a/b/c", b"again")  # the emptied path is usable again
        assert await store.get("a/b/c") == b"again"

    async def test_list(self, store: ObjectStore) -> None:
        keys = ["t1/b2/meta.json", "t1/b1/meta.json", "t1/b1/data.parquet", "t2/b3/meta.json", "t10/x", "top"]
        for k in keys:
            await store.put(k, k.encode())
        assert await store.list("") == sorted(keys)
        assert await store.list("t1/") == ["t1/b1/data.parquet", "t1/b1/meta.json", "t1/b2/meta.json"]
        assert await store.list("t1") == sorted(k for k in keys if k.startswith("t1"))
        assert await store.list("t1/b1/meta") == ["t1/b1/meta.json"]
        assert await store.list("t1/b1/meta.json") == ["t1/b1/meta.json"]
        assert await store.list("t2/b3/meta.json/") == []
        assert await store.list("nothing/") == []
        assert await store.list("t1/../t2/") == []

    async def test_list_empty_store(self, store: ObjectStore) -> None:
        assert await store.list("") == []
        assert await store.list("x/") == []

    @pytest.mark.parametrize("key", INVALID_KEYS)
    async def test_invalid_keys(self, store: ObjectStore, key: str) -> None:
        with pytest.raises(InvalidKey):
            await store.put(key, b"x")
        with pytest.raises(InvalidKey):
            await store.put_if_absent(key, b"x")
        with pytest.raises(InvalidKey):
            await store.get(key)
        with pytest.raises(InvalidKey):
            await store.get_range(key, 0, 1)
        with pytest.raises(InvalidKey):
            await store.delete(key)
        assert await store.list("") == []

    async def test_invalid_list_prefix(self, store: ObjectStore) -> None:
        with pytest.raises(InvalidKey):
            await store.list("/abs")

    async def test_large_object(self, store: ObjectStore) -> None:
        data = os.urandom(5 * 1024 * 1024 + 17)
        await store.put("big/object", data)
        assert await store.get("big/object") == data
        mid = 3 * 1024 * 1024
        assert await store.get_range("big/object", mid, 1024 * 1024) == data[mid : mid + 1024 * 1024]

    async def test_binary_data(self, store: ObjectStore) -> None:
        data = bytes(range(256)) * 4 + b"\r\n\x00\xff"
        await store.put("bin", data)
        assert await store.get("bin") == data
        assert await store.get_range("bin", 250, 12) == data[250:262]

    async def test_unusual_key_characters(self, store: ObjectStore) -> None:
        key = "tenant-1/spaced name/ünïcode+plus=eq&amp;.json"
        await store.put(key, b"x")
        assert await store.get(key) == b"x"
        assert await store.list("tenant-1/") == [key]

    async def test_concurrent_puts_distinct_keys(self, store: ObjectStore) -> None:
        keys = [f"c/{i:02d}" for i in range(20)]
        await asyncio.gather(*(store.put(k, k.encode()) for k in keys))
        assert await store.list("c/") == keys
        got = await asyncio.gather(*(store.get(k) for k in keys))
        assert got == [k.encode() for k in keys]
