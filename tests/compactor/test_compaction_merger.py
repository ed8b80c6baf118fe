"""Streaming k-way merge: right rows in block order, duplicates dropped (newest wins), bounded reads."""

from __future__ import annotations

import random

import pyarrow as pa
import pyarrow.compute as pc

from tempo_py.block.cache import BlockCaches
from tempo_py.block.encoding import open_block, write_block
from tempo_py.block.meta import BlockMeta
from tempo_py.block.v1.reader import BlockReader
from tempo_py.compactor.merger import MergeStats, merge_blocks
from tempo_py.model.otlp_to_arrow import resource_spans_to_table
from tempo_py.model.schema import SPAN_SCHEMA
from tempo_py.model.table_ops import dedupe_spans, sort_spans
from tempo_py.storage.memory import MemoryStore
from tempo_py.testing.otlp_factory import rich_request
from tests.support.settings import block_settings


class CountingReader(BlockReader):
    """Counts row-group reads, to see how far ahead of the output the merge reads."""

    reads = 0

    async def read_row_group(self, group: int, columns: list[str] | None = None) -> pa.Table:
        self.reads += 1
        return await super().read_row_group(group, columns)


def _rename(table: pa.Table, rows: list[int], suffix: str) -> pa.Table:
    names = table.column("name").to_pylist()
    for i in rows:
        names[i] = names[i] + suffix
    return table.set_column(table.schema.get_field_index("name"), "name", pa.array(names, pa.string()))


async def _inputs(store: MemoryStore, seed: int) -> tuple[list[BlockMeta], pa.Table]:
    """Several blocks sharing traces, some spans in two blocks (the later one changed)."""
    rnd = random.Random(seed)
    table = resource_spans_to_table(rich_request(n_traces=3, spans_per_trace=12, seed=seed).resource_spans)
    n_blocks = rnd.randint(2, 5)
    parts: list[list[int]] = [[] for _ in range(n_blocks)]
    for i in range(table.num_rows):
        parts[rnd.randrange(n_blocks)].append(i)
    metas, given = [], []
    for b, rows in enumerate(parts):
        extra = [i for i in range(table.num_rows) if i not in rows and rnd.random() < 0.15]
        part = table.take(pa.array(rows + extra, pa.int64()))
        part = _rename(part, list(range(len(rows), len(rows) + len(extra))), f"-v{b}")
        cfg = block_settings(row_group_spans=rnd.choice([2, 5, 16, 1000]))
        metas.append(await write_block(store, "t", part, cfg))
        given.append(sort_spans(part))
    return metas, sort_spans(dedupe_spans(pa.concat_tables(given)))


async def test_merge_equals_dedupe_of_all_inputs() -> None:
    for seed in range(5):
        store = MemoryStore()
        metas, want = await _inputs(store, seed)
        caches = BlockCaches()
        stats = MergeStats()
        batches = [b async for b in merge_blocks([open_block(store, m, caches) for m in metas], stats)]
        got = pa.concat_tables(batches)
        assert got.num_rows == want.num_rows == stats.spans_out
        assert stats.spans_in == sum(m.span_count for m in metas)
        assert got.equals(want.cast(SPAN_SCHEMA)), f"seed {seed}"
        ids = got.column("trace_id")
        assert pc.all(pc.greater_equal(ids.slice(1), ids.slice(0, len(ids) - 1))).as_py()
        # a trace never straddles two batches: spans of one trace meet (and dedupe) in one batch
        seen: set[bytes] = set()
        for b in batches:
            tids = set(b.column("trace_id").to_pylist())
            assert not (tids & seen)
            seen |= tids


async def test_merge_reads_row_groups_as_it_goes() -> None:
    store = MemoryStore()
    table = resource_spans_to_table(rich_request(n_traces=25, spans_per_trace=4, seed=3).resource_spans)
    halves = [table.slice(0, table.num_rows // 2), table.slice(table.num_rows // 2)]
    metas = [await write_block(store, "t", h, block_settings(row_group_spans=8)) for h in halves]
    assert all(m.row_groups >= 20 for m in metas)
    readers = [CountingReader(store, m, BlockCaches()) for m in metas]
    batches = 0
    async for _ in merge_blocks(readers):
        if batches == 0:
            # the first output needs the first group of each input (and one prefetched)
            assert all(r.reads <= 2 for r in readers)
        batches += 1
        # never more than two groups (current + prefetched) ahead of what was emitted
        assert all(r.reads <= batches + 2 for r in readers)
    assert batches >= 20
    assert [r.reads for r in readers] == [m.row_groups for m in metas]


async def test_trace_spread_over_many_row_groups_of_many_blocks() -> None:
    store = MemoryStore()
    table = resource_spans_to_table(rich_request(n_traces=1, spans_per_trace=60, seed=9).resource_spans)
    parts = [table.take(pa.array(list(range(i, table.num_rows, 3)), pa.int64())) for i in range(3)]
    metas = [await write_block(store, "t", p, block_settings(row_group_spans=4)) for p in parts]
    got = pa.concat_tables(
        [b async for b in merge_blocks([open_block(store, m, BlockCaches()) for m in metas])]
    )
    assert got.equals(sort_spans(table).cast(SPAN_SCHEMA))
