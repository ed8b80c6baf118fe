"""A second block encoding, registered here only, is read by trace-by-ID, search and compaction.

The toy is vParquet-py1 with other row-group sizes under its own version name, and its handles
count what is asked of them. Nothing outside tempo_py/block/ knows of it: the querier, the search
engine and the compactor reach its blocks through the encoding registry and interface alone.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tempo_py.block.blocklist import Blocklist, list_tenant
from tempo_py.block.bloom import IDHash
from tempo_py.block.cache import BlockCaches
from tempo_py.block.encoding import encoding_for, open_block, register, unregister, versions, write_block
from tempo_py.block.interface import BlockBuilder, BlockHandle, BlockScan, UnsupportedBlockVersion
from tempo_py.block.meta import BlockMeta
from tempo_py.block.settings import DEFAULT_VERSION, BlockConfig
from tempo_py.block.v1.encoding import V1Encoding
from tempo_py.block.v1.writer import BlockWriter
from tempo_py.compactor.compactor import Compactor
from tempo_py.model.arrow_to_otlp import table_to_resource_spans
from tempo_py.model.otlp_to_arrow import resource_spans_to_table
from tempo_py.querier.querier import Querier
from tempo_py.querier.search import SearchEngine
from tempo_py.querier.search_query import SearchQuery
from tempo_py.storage.base import ObjectStore
from tempo_py.storage.memory import MemoryStore
from tempo_py.testing.otlp_factory import canonical_spans, rich_request
from tempo_py.traceql import parse_and_validate
from tests.compactor.helpers import compactor_settings_with, read_block
from tests.support.settings import QUERIER_CONCURRENCY, block_settings

TOY = "vParquet-py1-toy"
TENANT = "t1"
HOUR_NS = 3600 * 10**9
CALLS: Counter[str] = Counter()  # what the toy's handles were asked, by method


class ToyHandle:
    """A toy block handle: v1's reader underneath, every call counted."""

    def __init__(self, inner: BlockHandle) -> None:
        self.inner = inner

    @property
    def meta(self) -> BlockMeta:
        return self.inner.meta

    def cached_verdict(self, trace_id: bytes, h: IDHash) -> bool | None:
        CALLS["cached_verdict"] += 1
        return self.inner.cached_verdict(trace_id, h)

    async def may_contain(self, trace_id: bytes, h: IDHash | None = None) -> bool:
        CALLS["may_contain"] += 1
        return await self.inner.may_contain(trace_id, h)

    async def find_trace(self, trace_id: bytes, h: IDHash | None = None) -> pa.Table | None:
        CALLS["find_trace"] += 1
        return await self.inner.find_trace(trace_id, h)

    async def scan(self) -> BlockScan:
        CALLS["scan"] += 1
        return await self.inner.scan()

    async def row_group_count(self) -> int:
        CALLS["row_group_count"] += 1
        return await self.inner.row_group_count()

    async def read_row_group(self, group: int) -> pa.Table:
        CALLS["read_row_group"] += 1
        return await self.inner.read_row_group(group)


class ToyEncoding:
    """vParquet-py1 with 3-span row groups (7 once compacted), under another version name."""

    version = TOY

    def __init__(self) -> None:
        self._v1 = V1Encoding()

    def open(self, store: ObjectStore, meta: BlockMeta, caches: BlockCaches) -> ToyHandle:
        return ToyHandle(self._v1.open(store, meta, caches))

    def create(
        self, tenant: str, cfg: BlockConfig, *, block_id: str | None = None, level: int = 0
    ) -> BlockBuilder:
        CALLS["create"] += 1
        toy = dataclasses.replace(cfg, row_group_spans=3, compacted_row_group_spans=7)
        return BlockWriter(tenant, toy, block_id=block_id, level=level, version=TOY)


@pytest.fixture
def toy() -> Iterator[None]:
    register(ToyEncoding())
    CALLS.clear()
    yield
    unregister(TOY)


async def _blocks(store: ObjectStore) -> tuple[pa.Table, list[BlockMeta]]:
    """Spans of 20 traces in a closed hour, every trace split over one v1 and two toy blocks."""
    base = (time.time_ns() // HOUR_NS - 3) * HOUR_NS + 10 * 60 * 10**9
    table = resource_spans_to_table(
        rich_request(n_traces=5, spans_per_trace=6, seed=11, base_ns=base).resource_spans
    )
    configs = [block_settings(row_group_spans=4), block_settings(version=TOY), block_settings(version=TOY)]
    metas = []
    for i, cfg in enumerate(configs):
        part = table.take(pa.array(range(i, table.num_rows, 3), pa.int64()))
        metas.append(await write_block(store, TENANT, part, cfg))
    return table, metas


def _trace(table: pa.Table, tid: bytes) -> pa.Table:
    return table.filter(pc.equal(table["trace_id"], pa.scalar(tid, pa.binary(16))))


def _trace_ids(table: pa.Table) -> set[bytes]:
    return set(table.column("trace_id").to_pylist())


async def test_toy_blocks_carry_their_version_and_row_groups(toy: None) -> None:
    store = MemoryStore()
    _, metas = await _blocks(store)
    assert [m.version for m in metas] == [DEFAULT_VERSION, TOY, TOY]
    # vParquet-py1 ends a row group at a trace boundary: at least 4 spans each, the last aside
    assert 1 <= metas[0].row_groups <= -(-metas[0].span_count // 4)
    assert all(1 <= m.row_groups <= -(-m.span_count // 3) for m in metas[1:])
    assert TOY in versions() and encoding_for(TOY).version == TOY
    assert isinstance(open_block(store, metas[1], BlockCaches()), ToyHandle)


async def test_unregistered_version_is_refused(toy: None) -> None:
    store = MemoryStore()
    _, metas = await _blocks(store)
    unregister(TOY)
    with pytest.raises(UnsupportedBlockVersion, match=TOY):
        open_block(store, metas[1], BlockCaches())
    with pytest.raises(UnsupportedBlockVersion, match=TOY):
        encoding_for(TOY)


async def test_trace_by_id_reads_both_encodings(toy: None) -> None:
    store = MemoryStore()
    table, metas = await _blocks(store)
    blocklist = Blocklist(store, builder=True, poll_interval_s=3600)
    for m in metas:
        blocklist.add(m)
    querier = Querier(store, blocklist, [], concurrency=QUERIER_CONCURRENCY)
    for tid in _trace_ids(table):
        got = await querier.find_trace(TENANT, tid)
        want = canonical_spans(table_to_resource_spans(_trace(table, tid)))
        assert canonical_spans(table_to_resource_spans(got)) == want
    assert CALLS["find_trace"] >= 2 * len(_trace_ids(table))  # both toy blocks hold part of each trace


async def test_search_reads_both_encodings(toy: None) -> None:
    store = MemoryStore()
    table, metas = await _blocks(store)
    blocklist = Blocklist(store, builder=True, poll_interval_s=3600)
    for m in metas:
        blocklist.add(m)
    engine = SearchEngine.for_querier(Querier(store, blocklist, [], concurrency=QUERIER_CONCURRENCY), 1 << 40)

    everything = await engine.search(TENANT, SearchQuery(parse_and_validate("{ }")))
    assert {everything.frame.trace_ids[c].as_py() for c in everything.traces} == _trace_ids(table)
    assert everything.stats.total_blocks == 3
    assert everything.stats.inspected_spans == table.num_rows

    # a span that lives in a toy block; its trace is judged on all its spans, from every block
    row = 1
    name = table.column("name")[row].as_py()
    tid = table.column("trace_id")[row].as_py()
    found = await engine.search(TENANT, SearchQuery(parse_and_validate(f'{{ name = "{name}" }}')))
    assert [found.frame.trace_ids[c].as_py() for c in found.traces] == [tid]
    assert found.frame.n == _trace(table, tid).num_rows
    assert CALLS["scan"] >= 2


async def test_compaction_merges_blocks_of_both_encodings(toy: None) -> None:
    store = MemoryStore()
    table, metas = await _blocks(store)
    settings = compactor_settings_with(max_input_blocks=3, compacted_block_retention=3600.0)
    comp = Compactor(store, settings, block_settings(version=TOY))
    CALLS.clear()
    result = await comp.run_until_idle()
    assert result.jobs == 1 and result.blocks_in == 3 and result.spans_out == table.num_rows
    assert CALLS["create"] == 1 and CALLS["read_row_group"] == metas[1].row_groups + metas[2].row_groups

    tb = await list_tenant(store, TENANT)
    assert set(tb.compacted) == {m.block_id for m in metas}
    [out] = tb.live.values()
    assert out.version == TOY and out.compaction_level == 1
    assert 1 <= out.row_groups <= -(-table.num_rows // 7)  # the toy's compacted row groups, cut at traces
    rows = await read_block(store, out)
    assert canonical_spans(table_to_resource_spans(rows)) == canonical_spans(table_to_resource_spans(table))
    # and the output answers lookups through the querier like any block
    querier = Querier(
        store, Blocklist(store, builder=True, poll_interval_s=3600), [], concurrency=QUERIER_CONCURRENCY
    )
    tid = table.column("trace_id")[0].as_py()
    got = await querier.find_trace(TENANT, tid)
    assert canonical_spans(table_to_resource_spans(got)) == canonical_spans(
        table_to_resource_spans(_trace(table, tid))
    )
