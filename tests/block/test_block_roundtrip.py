"""A block written from OTLP spans and read back by ID equals the input; lookups count GETs."""

from __future__ import annotations

import random

import pyarrow as pa

from tempo_py.block.bloom import BloomParams, build_shards, ids_to_array, shard_may_contain, shard_of
from tempo_py.block.cache import BlockCaches
from tempo_py.block.encoding import write_block
from tempo_py.block.find import find_in_blocks
from tempo_py.model.arrow_to_otlp import table_to_resource_spans
from tempo_py.model.otlp_to_arrow import resource_spans_to_table
from tempo_py.model.table_ops import sort_spans
from tempo_py.storage.counting import CountingStore
from tempo_py.storage.memory import MemoryStore
from tempo_py.testing.otlp_factory import canonical_spans, rich_request
from tests.support.settings import QUERIER_CONCURRENCY, block_settings


async def test_block_roundtrip_lossless_by_trace_id() -> None:
    store = MemoryStore()
    req = rich_request(n_traces=20, spans_per_trace=5)
    table = resource_spans_to_table(req.resource_spans)
    meta = await write_block(store, "t1", table, block_settings(row_group_spans=50))
    assert meta.span_count == table.num_rows and meta.total_objects == 2 * 2 * 20
    assert meta.row_groups == -(-table.num_rows // 50)
    caches = BlockCaches()
    for tid in set(table.column("trace_id").to_pylist()):
        got = await find_in_blocks(store, [meta], tid, caches, concurrency=QUERIER_CONCURRENCY)
        want = [
            rs
            for rs in table_to_resource_spans(
                table.filter(pa.compute.equal(table["trace_id"], pa.scalar(tid, pa.binary(16))))
            )
        ]
        assert canonical_spans(table_to_resource_spans(got)) == canonical_spans(want)
    # the whole block equals the input request
    all_rows = pa.concat_tables(
        [
            await find_in_blocks(store, [meta], t, caches, concurrency=QUERIER_CONCURRENCY)
            for t in sorted(set(table.column("trace_id").to_pylist()))
        ]
    )
    assert canonical_spans(table_to_resource_spans(all_rows)) == canonical_spans(list(req.resource_spans))


async def test_lookup_reads_only_bloom_footer_and_row_group() -> None:
    inner = MemoryStore()
    table = resource_spans_to_table(rich_request(n_traces=50, spans_per_trace=4).resource_spans)
    meta = await write_block(inner, "t1", table, block_settings(row_group_spans=100))
    store = CountingStore(inner)
    caches = BlockCaches()
    tid = table.column("trace_id")[7].as_py()
    got = await find_in_blocks(store, [meta], tid, caches, concurrency=QUERIER_CONCURRENCY)
    assert got.num_rows == 4
    assert store.counts["get"] == 1  # bloom shard
    assert store.counts["get_range"] == 2  # footer + one row group
    assert store.bytes_read < meta.size / 2
    # absent IDs: almost never touch data.parquet
    rnd = random.Random(5)
    store.reset()
    misses = 0
    for _ in range(2000):
        t = rnd.randbytes(16)
        if (await find_in_blocks(store, [meta], t, caches, concurrency=QUERIER_CONCURRENCY)).num_rows:
            misses += 1
    assert misses == 0
    assert store.counts.get("get_range", 0) <= 20  # >= 99 % answered by the bloom alone


def test_bloom_false_positive_rate_close_to_target() -> None:
    rnd = random.Random(3)
    ids = [rnd.randbytes(16) for _ in range(20000)]
    params = BloomParams.for_items(len(ids), 0.01, 4096)
    shards = build_shards(ids_to_array(ids), params)
    assert len(shards) == params.shard_count > 1
    assert all(shard_may_contain(shards[shard_of(t, len(shards))], t) for t in ids)
    others = [rnd.randbytes(16) for _ in range(20000)]
    fp = sum(shard_may_contain(shards[shard_of(t, len(shards))], t) for t in others) / len(others)
    assert fp < 0.01
    # 64-bit Jaeger IDs (upper half zero) hash as well as random ones
    jaeger = [bytes(8) + rnd.randbytes(8) for _ in range(20000)]
    shards = build_shards(ids_to_array(jaeger), params)
    probe = [bytes(8) + rnd.randbytes(8) for _ in range(20000)]
    fp = sum(shard_may_contain(shards[shard_of(t, len(shards))], t) for t in probe) / len(probe)
    assert fp < 0.01


def test_compacted_blocks_use_their_own_row_group_size() -> None:
    from tempo_py.block.v1.writer import BlockWriter

    table = resource_spans_to_table(rich_request(n_traces=10, spans_per_trace=5).resource_spans)
    cfg = block_settings(row_group_spans=20, compacted_row_group_spans=100)
    for level, groups in ((0, -(-table.num_rows // 20)), (1, -(-table.num_rows // 100))):
        w = BlockWriter("t", cfg, level=level)
        w.add(sort_spans(table))
        assert w.finish().meta.row_groups == groups
