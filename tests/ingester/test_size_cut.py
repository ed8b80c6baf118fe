"""An ingester whose memory reaches max_block_bytes writes everything to a block, active traces too."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tempo_py.block.blocklist import Blocklist
from tempo_py.ingester.convert_pool import ConvertPool
from tempo_py.ingester.ingester import Ingester, IngesterSettings
from tempo_py.querier.querier import Querier
from tempo_py.storage.memory import MemoryStore
from tempo_py.testing.otlp_factory import canonical_spans, rich_request, spans_of_trace
from tests.support.settings import QUERIER_CONCURRENCY, block_settings


async def test_size_cut_bounds_memory_and_split_traces_read_whole(tmp_path: Path) -> None:
    store = MemoryStore()
    blocklist = Blocklist(store, builder=True, poll_interval_s=3600)
    settings = IngesterSettings(
        trace_idle_period_s=3600,
        max_block_duration_s=3600,
        max_block_bytes=30_000,
        flush_check_period_s=3600,
        max_live_bytes=10**9,
    )
    ing = Ingester("i0", tmp_path / "wal", store, blocklist, settings, block_settings(), ConvertPool(0))
    first = rich_request(n_traces=4, spans_per_trace=3, seed=1)
    tid = first.resource_spans[0].scope_spans[0].spans[0].trace_id
    # a second part of the same (still active) trace arrives after the first part was cut
    second = rich_request(n_traces=4, spans_per_trace=3, seed=2)
    for rs in second.resource_spans:
        for ss in rs.scope_spans:
            for sp in ss.spans[:3]:
                sp.trace_id = tid
    for req in (first, second):
        ids = sorted({sp.trace_id for rs in req.resource_spans for ss in rs.scope_spans for sp in ss.spans})
        await ing.push("t", req.SerializeToString(), ids)
        await ing.settle()
        for _ in range(100):  # the cut runs in the background once the size is reached
            if not ing._cut_lock.locked() and ing.live_bytes() < settings.max_block_bytes:
                break
            await asyncio.sleep(0.02)
    metas = await blocklist.searchable("t")
    assert len(metas) == 2  # no idle trace and no /flush: both cuts were size cuts
    assert ing.live_bytes() < settings.max_block_bytes
    got = await Querier(store, blocklist, [ing], concurrency=QUERIER_CONCURRENCY).find_trace("t", tid)
    want = [
        *spans_of_trace(list(first.resource_spans), tid),
        *spans_of_trace(list(second.resource_spans), tid),
    ]
    assert got.num_rows == sum(len(ss.spans) for rs in want for ss in rs.scope_spans) == 15
    from tempo_py.model.arrow_to_otlp import table_to_resource_spans

    assert canonical_spans(table_to_resource_spans(got)) == canonical_spans(want)
    await ing.close()
