"""Shared helpers of the compactor tests: split traces across blocks, read back, check at rest."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from tempo_py.app.wiring import compactor_settings
from tempo_py.block.blocklist import list_tenant
from tempo_py.block.cache import BlockCaches
from tempo_py.block.encoding import open_block, write_block
from tempo_py.block.find import find_in_blocks
from tempo_py.block.meta import BlockMeta
from tempo_py.compactor.settings import CompactorSettings
from tempo_py.config import CompactionConfig, CompactorConfig, Config
from tempo_py.model.arrow_to_otlp import table_to_resource_spans
from tempo_py.model.otlp_to_arrow import resource_spans_to_table
from tempo_py.storage.base import ObjectStore
from tempo_py.testing.otlp_factory import canonical_spans, rich_request
from tests.support.settings import QUERIER_CONCURRENCY, block_settings

HOUR_NS = 3600 * 10**9
BLOCK_CFG = block_settings(row_group_spans=16)  # tiny row groups: every merge crosses many of them

Canon = list[tuple[bytes, bytes, int, bytes]]


@dataclass
class Sent:
    """What a test wrote: canonical spans per trace ID, and the blocks holding them."""

    by_trace: dict[bytes, Canon] = field(default_factory=lambda: defaultdict(list))
    blocks: list[BlockMeta] = field(default_factory=list)

    @property
    def span_count(self) -> int:
        """Distinct spans sent."""
        return sum(len(v) for v in self.by_trace.values())


def compactor_settings_with(**kw: object) -> CompactorSettings:
    """Compactor settings of the default config with ``compactor.compaction`` fields replaced."""
    return compactor_settings(Config(compactor=CompactorConfig(compaction=CompactionConfig(**kw))))  # type: ignore[arg-type]


async def write_split_blocks(
    store: ObjectStore,
    tenant: str,
    *,
    windows: int,
    blocks_per_window: int,
    traces: int = 6,
    spans_per_trace: int = 6,
    now_ns: int,
    seed: int = 7,
    dup_every: int = 5,
) -> Sent:
    """Write ``blocks_per_window`` blocks in each of ``windows`` closed hourly windows.

    Each trace's spans are scattered over several blocks of its window (as if flushed at different
    times), and every ``dup_every``-th span is written to a second block too (a client retry).
    """
    rnd = random.Random(seed)
    sent = Sent()
    for w in range(windows):
        # Windows 3+ hours back (closed), spans 10 minutes into the window so none crosses it.
        base = (now_ns // HOUR_NS - 3 - w) * HOUR_NS + 10 * 60 * 10**9
        req = rich_request(
            n_traces=traces, spans_per_trace=spans_per_trace, seed=seed * 100 + w, base_ns=base
        )
        for tid, sid, kind, blob in canonical_spans(list(req.resource_spans)):
            sent.by_trace[tid].append((tid, sid, kind, blob))
        table = resource_spans_to_table(req.resource_spans)
        home = [rnd.randrange(blocks_per_window) for _ in range(table.num_rows)]
        rows: list[list[int]] = [[] for _ in range(blocks_per_window)]
        for i, b in enumerate(home):
            rows[b].append(i)
            if i % dup_every == 0:
                rows[(b + 1) % blocks_per_window].append(i)
        for idx in rows:
            if idx:
                part = table.take(pa.array(idx, pa.int64()))
                sent.blocks.append(await write_block(store, tenant, part, BLOCK_CFG))
    for v in sent.by_trace.values():
        v.sort()
    return sent


async def visible_blocks(store: ObjectStore, tenant: str) -> list[BlockMeta]:
    """Blocks a querier reads: live and compacted ones (from a LIST, as queriers fall back to)."""
    tb = await list_tenant(store, tenant)
    return [*tb.live.values(), *tb.compacted.values()]


async def assert_traces_complete(store: ObjectStore, tenant: str, sent: Sent) -> None:
    """Every trace found by ID equals what was sent, each span exactly once (the querier's view)."""
    metas = await visible_blocks(store, tenant)
    caches = BlockCaches()
    for tid, want in sent.by_trace.items():
        got = await find_in_blocks(store, metas, tid, caches, concurrency=QUERIER_CONCURRENCY)
        assert canonical_spans(table_to_resource_spans(got)) == want, f"trace {tid.hex()} differs"


async def read_block(store: ObjectStore, meta: BlockMeta) -> pa.Table:
    """Every row of a block, row group by row group."""
    r = open_block(store, meta, BlockCaches())
    parts = [await r.read_row_group(g) for g in range(await r.row_group_count())]
    return pa.concat_tables(parts)


async def assert_no_duplicates_at_rest(store: ObjectStore, tenant: str, sent: Sent) -> list[BlockMeta]:
    """Live blocks together hold every sent span exactly once. Returns the live blocks."""
    tb = await list_tenant(store, tenant)
    tables = [await read_block(store, m) for m in tb.live.values()]
    allrows = pa.concat_tables(tables)
    keys = pa.table({"t": allrows["trace_id"], "s": allrows["span_id"], "k": allrows["kind"]})
    assert keys.group_by(["t", "s", "k"]).aggregate([]).num_rows == allrows.num_rows, (
        "duplicate spans at rest"
    )
    assert allrows.num_rows == sent.span_count
    for m, t in zip(tb.live.values(), tables, strict=True):
        ids = t["trace_id"]
        assert pc.all(pc.greater_equal(ids.slice(1), ids.slice(0, len(ids) - 1))).as_py(), "block not sorted"
        assert m.span_count == t.num_rows
    return list(tb.live.values())
