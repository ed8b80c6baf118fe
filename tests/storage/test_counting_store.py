"""CountingStore counts calls and bytes per operation and feeds the Prometheus counter."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from tempo_py.storage.base import ObjectNotFound
from tempo_py.storage.counting import OPERATIONS, CountingStore
from tempo_py.storage.memory import MemoryStore


def _metric(operation: str) -> float:
    value = REGISTRY.get_sample_value("tempo_backend_requests_total", {"operation": operation})
    return value or 0.0


async def test_counts_calls_and_bytes() -> None:
    store = CountingStore(MemoryStore())
    before = _metric("get_range")
    await store.put("a/1", b"12345")
    assert await store.put_if_absent("a/1", b"zz") is False
    assert await store.put_if_absent("a/2", b"xy") is True
    assert await store.get("a/1") == b"12345"
    assert await store.get_range("a/1", 1, 2) == b"23"
    with pytest.raises(ObjectNotFound):
        await store.get_range("missing", 0, 1)
    assert await store.list("a/") == ["a/1", "a/2"]
    await store.delete("a/2")
    assert store.counts == {"get": 1, "get_range": 2, "put": 1, "put_if_absent": 2, "delete": 1, "list": 1}
    assert store.total == 8
    assert store.bytes_read == 5 + 2
    assert store.bytes_written == 5 + 2
    assert _metric("get_range") == before + 2

    store.reset()
    assert store.counts == dict.fromkeys(OPERATIONS, 0)
    assert store.bytes_read == store.bytes_written == 0
    await store.close()


async def test_metrics_can_be_switched_off() -> None:
    store = CountingStore(MemoryStore(), metrics=False)
    before = _metric("list")
    await store.list("")
    assert store.counts["list"] == 1
    assert _metric("list") == before
