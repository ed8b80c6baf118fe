"""Newest-first early stop: the same top results as reading every block, from fewer blocks."""

from __future__ import annotations

import dataclasses

import pyarrow as pa

from tempo_py.block.blocklist import Blocklist
from tempo_py.block.encoding import write_block
from tempo_py.model.otlp_to_arrow import resource_spans_to_table
from tempo_py.model.table_ops import concat
from tempo_py.querier.querier import Querier
from tempo_py.querier.search import SearchEngine
from tempo_py.querier.search_query import SearchQuery
from tempo_py.storage.memory import MemoryStore
from tempo_py.testing.otlp_factory import rich_request
from tempo_py.traceql import parse_and_validate
from tests.support.settings import QUERIER_CONCURRENCY, block_settings

TENANT = "single-tenant"
HOUR = 3600 * 10**9


async def _engine() -> tuple[SearchEngine, bytes]:
    """Eight blocks an hour apart; the oldest trace also has a late span in the newest block."""
    store = MemoryStore()
    blocklist = Blocklist(store, builder=True, poll_interval_s=3600)
    base = 1_700_000_000 * 10**9
    tables = [
        resource_spans_to_table(
            rich_request(n_traces=3, spans_per_trace=2, seed=i, base_ns=base + i * HOUR).resource_spans
        )
        for i in range(8)
    ]
    split_id = tables[0].column("trace_id")[0].as_py()
    late = (
        tables[0]
        .filter(pa.compute.equal(tables[0]["trace_id"], pa.scalar(split_id, pa.binary(16))))
        .slice(0, 1)
    )
    late = late.set_column(1, late.schema.field(1), pa.array([b"\x77" * 8], pa.binary(8)))
    # start and end: the newest span of all, so judging the trace on this span alone would rank it first
    for col, t in ((7, base + 7 * HOUR + 60 * 10**9), (8, base + 7 * HOUR + 61 * 10**9)):
        late = late.set_column(col, late.schema.field(col), pa.array([t], pa.uint64()))
    tables[7] = concat([tables[7], late])
    for t in tables:
        blocklist.add(await write_block(store, TENANT, t, block_settings(row_group_spans=4)))
    return SearchEngine.for_querier(
        Querier(store, blocklist, [], concurrency=QUERIER_CONCURRENCY), 1 << 40
    ), split_id


def _ids(outcome: object) -> list[bytes]:
    o = outcome
    return [o.frame.trace_ids[c].as_py() for c in o.traces]  # type: ignore[attr-defined]


async def test_early_stop_returns_the_same_newest_traces_and_reads_less() -> None:
    engine, split_id = await _engine()
    for q in (
        '{ resource.service.name =~ "svc-.*" }',
        "{ true }",
        "{ trace:duration > 1ms }",
        '{ span.str = "hello" } | count() > 1',
    ):
        root = parse_and_validate(q)
        full = await engine.search(TENANT, SearchQuery(root))
        engine.caches.footers = type(engine.caches.footers)(1 << 30)
        top = await engine.search(TENANT, dataclasses.replace(SearchQuery(root), limit=5))
        assert _ids(top)[:5] == _ids(full)[:5], q
        assert top.stats.inspected_spans < full.stats.inspected_spans, q
    # the split trace is judged with its late span, so it is not mistaken for a short old trace
    full = await engine.search(TENANT, SearchQuery(parse_and_validate("{ trace:duration > 5h }")))
    assert _ids(full) == [split_id]
