"""Tenant index: the builder writes index.json.gz; readers use it without LIST; stale or missing -> LIST."""

from __future__ import annotations

import gzip
import json
import time

from tempo_py.block import paths
from tempo_py.block.blocklist import Blocklist, decode_index, encode_index
from tempo_py.block.encoding import write_block
from tempo_py.model.otlp_to_arrow import resource_spans_to_table
from tempo_py.storage.counting import CountingStore
from tempo_py.storage.memory import MemoryStore
from tempo_py.testing.otlp_factory import rich_request
from tests.support.settings import block_settings


async def _write(store: MemoryStore, tenant: str, seed: int) -> str:
    table = resource_spans_to_table(rich_request(n_traces=1, spans_per_trace=2, seed=seed).resource_spans)
    return (await write_block(store, tenant, table, block_settings())).block_id


async def test_builder_writes_index_and_readers_use_it_without_listing() -> None:
    inner = MemoryStore()
    a1 = await _write(inner, "a", 1)
    a2 = await _write(inner, "a", 2)
    b1 = await _write(inner, "b", 3)
    builder = Blocklist(inner, builder=True, poll_interval_s=60)
    await builder.poll()
    assert {m.block_id for m in await builder.searchable("a")} == {a1, a2}
    created, tb = decode_index(await inner.get(paths.tenant_index_key("b")))
    assert set(tb.live) == {b1} and time.time() - created < 60

    store = CountingStore(inner, metrics=False)
    reader = Blocklist(store, builder=False, poll_interval_s=60)
    assert {m.block_id for m in await reader.searchable("a")} == {a1, a2}
    assert store.counts["list"] == 0 and store.counts["get"] == 1  # one GET of index.json.gz
    await reader.searchable("a")
    assert store.counts["get"] == 1  # cached until the next poll


async def test_missing_or_stale_or_corrupt_index_falls_back_to_listing() -> None:
    inner = MemoryStore()
    a1 = await _write(inner, "a", 1)
    store = CountingStore(inner, metrics=False)
    reader = Blocklist(store, builder=False, poll_interval_s=60, stale_after_s=10)
    assert {m.block_id for m in await reader.searchable("a")} == {a1}  # no index yet
    assert store.counts["list"] == 1

    # a stale index (a dead builder) lists a block that is gone and misses a new one
    a2 = await _write(inner, "a", 2)
    stale = json.loads(
        gzip.decompress(encode_index(await Blocklist(inner, builder=True, poll_interval_s=1).blocks("a")))
    )
    stale["createdAt"] = time.time() - 3600
    await inner.put(paths.tenant_index_key("a"), gzip.compress(json.dumps(stale).encode()))
    reader2 = Blocklist(store, builder=False, poll_interval_s=60, stale_after_s=10)
    store.reset()
    assert {m.block_id for m in await reader2.searchable("a")} == {a1, a2}
    assert store.counts["list"] == 1

    await inner.put(paths.tenant_index_key("a"), b"not gzip")
    reader3 = Blocklist(store, builder=False, poll_interval_s=60)
    assert {m.block_id for m in await reader3.searchable("a")} == {a1, a2}


async def test_compacted_blocks_are_listed_separately_and_still_searchable() -> None:
    inner = MemoryStore()
    a1 = await _write(inner, "a", 1)
    a2 = await _write(inner, "a", 2)
    builder = Blocklist(inner, builder=True, poll_interval_s=60)
    tb = await builder.blocks("a")
    meta = tb.live[a1]
    await inner.put(paths.compacted_meta_key("a", a1), meta.compacted(time.time_ns()).to_json())
    await inner.delete(paths.meta_key("a", a1))
    await builder.poll()
    tb = await builder.blocks("a")
    assert set(tb.live) == {a2} and set(tb.compacted) == {a1}
    assert {m.block_id for m in await builder.searchable("a")} == {a1, a2}
