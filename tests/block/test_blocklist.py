"""Tenant index: the builder writes index.json.gz; readers use it without LIST; stale or missing -> LIST."""

from __future__ import annotations

import gzip
import json
import time
from dataclasses import replace

from tempo_py.block import paths
from tempo_py.block.blocklist import Blocklist, TenantBlocks, decode_index, encode_index, replaced
from tempo_py.block.encoding import write_block
from tempo_py.block.meta import COMPACTED_FROM, BlockMeta
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
    # no listed block says it holds a1's spans: a1 is still read
    assert {m.block_id for m in await builder.searchable("a")} == {a1, a2}


def test_blocks_a_live_block_replaces_are_not_read_again() -> None:
    """Reads skip compacted blocks (and live ones a crash left) whose spans a live block holds."""

    def meta(bid: str, *sources: str) -> BlockMeta:
        return BlockMeta(
            bid, "a", 0, 1, 1, 1, 1, 1, 1, 1, extra={COMPACTED_FROM: list(sources)} if sources else {}
        )

    ids = [f"00000000-0000-0000-0000-00000000000{i}" for i in range(7)]
    a, b, c, d, e, f, g = ids
    tb = TenantBlocks(
        live={d: meta(d, b, c), e: meta(e), f: meta(f)},
        compacted={a: meta(a), b: meta(b, a), c: meta(c), g: meta(g)},
    )
    # d replaces b and c; b replaced a (followed through the compacted b); g has no visible successor
    assert replaced(tb) == {a, b, c}
    # a compactor stopped after writing f's output that holds e, before marking e compacted
    tb.live[f] = replace(meta(f), extra={COMPACTED_FROM: [e]})
    assert replaced(tb) == {a, b, c, e}
