"""SearchEngine in-process: blocks (small row groups), live data, a mix, a split trace, pruning, budget."""

from __future__ import annotations

import pyarrow as pa
import pytest
from search_dataset import ORDER, QUERIES, base_time_ns, resource_spans, trace_id

from tempo_py.block.blocklist import Blocklist
from tempo_py.block.encoding import write_block
from tempo_py.model.otlp_to_arrow import resource_spans_to_table
from tempo_py.model.table_ops import concat, filter_trace
from tempo_py.querier.querier import Querier
from tempo_py.querier.search import SearchBudgetExceeded, SearchEngine
from tempo_py.querier.search_query import SearchQuery
from tempo_py.querier.search_response import search_response
from tempo_py.storage.memory import MemoryStore
from tempo_py.traceql import parse_and_validate
from tests.support.settings import QUERIER_CONCURRENCY, block_settings

TENANT = "single-tenant"
NAMES = {trace_id(n).hex(): n for n in ORDER}
SPLIT_LIVE = {("T5", 2)}  # T5's api span stays live, its root goes to a block


class Live:
    """A live source holding span tables, as an ingester does."""

    def __init__(self, tables: list[pa.Table]) -> None:
        self._tables = tables

    async def find_trace(self, tenant: str, trace_id: bytes) -> pa.Table:
        return concat(filter_trace(t, trace_id) for t in self.tables(tenant))

    async def settle(self) -> None:
        return None

    def tables(self, tenant: str) -> list[pa.Table]:
        return self._tables if tenant == TENANT else []


def _table(names: list[str], base: int, only: set[tuple[str, int]] | None = None) -> pa.Table:
    return resource_spans_to_table(resource_spans(names, base, only=only))


def _all_pairs(names: list[str]) -> set[tuple[str, int]]:
    from search_dataset import TRACES

    return {(n, s.sid) for n in names for s in TRACES[n]}


async def _engine(layout: str, budget: int = 1 << 40) -> SearchEngine:
    base = base_time_ns()
    store = MemoryStore()
    blocklist = Blocklist(store, builder=True, poll_interval_s=3600)
    cfg = block_settings(row_group_spans=2)  # tiny row groups: pruning and multi-group reads get exercised
    live: list[pa.Table] = []
    if layout == "blocks":
        for names in (["T1", "T2", "T3"], ["T4", "T5", "T6"]):
            blocklist.add(await write_block(store, TENANT, _table(names, base), cfg))
    elif layout == "live":
        live.append(_table(ORDER, base))
    else:  # mixed: T1-T3 in a block, T4 and T6 live, T5 split between a block and live
        blocklist.add(await write_block(store, TENANT, _table(["T1", "T2", "T3"], base), cfg))
        t5_block = _all_pairs(["T5"]) - SPLIT_LIVE
        blocklist.add(await write_block(store, TENANT, _table(["T5"], base, t5_block), cfg))
        live += [_table(["T4", "T6"], base), _table(["T5"], base, SPLIT_LIVE)]
    querier = Querier(store, blocklist, [Live(live)], concurrency=QUERIER_CONCURRENCY)  # type: ignore[list-item]
    return SearchEngine.for_querier(querier, budget)


async def _names(engine: SearchEngine, query: str) -> list[str]:
    outcome = await engine.search(TENANT, SearchQuery(parse_and_validate(query)))
    body = search_response(outcome, parse_and_validate(query), 100, 3)
    return [NAMES[t["traceID"]] for t in body["traces"]]


@pytest.mark.parametrize("layout", ["blocks", "live", "mixed"])
async def test_query_table(layout: str) -> None:
    engine = await _engine(layout)
    failures = []
    for query, expected in QUERIES:
        got = await _names(engine, query)
        if got != expected:
            failures.append((query, expected, got))
    assert failures == []


async def test_row_groups_pruned_by_statistics() -> None:
    engine = await _engine("blocks")
    outcome = await engine.search(TENANT, SearchQuery(parse_and_validate('{ name = "GET /health" }')))
    everything = await engine.search(TENANT, SearchQuery(parse_and_validate("{ }")))
    assert outcome.stats.inspected_spans < everything.stats.inspected_spans
    assert outcome.stats.inspected_bytes < everything.stats.inspected_bytes


async def test_time_range_skips_blocks_and_filters_traces() -> None:
    engine = await _engine("blocks")
    base = base_time_ns()
    # T6 starts at base, T5 10 s later: a window on [base, base + 5 s] holds only T6
    query = SearchQuery(parse_and_validate("{ }"), base, base + 5 * 10**9)
    outcome = await engine.search(TENANT, query)
    assert [NAMES[outcome.frame.trace_ids[c].as_py().hex()] for c in outcome.traces] == ["T6"]
    assert outcome.stats.total_blocks == 1


async def test_min_max_duration() -> None:
    engine = await _engine("live")
    query = SearchQuery(parse_and_validate("{ }"), min_duration_ns=500 * 10**6, max_duration_ns=1500 * 10**6)
    outcome = await engine.search(TENANT, query)
    assert [NAMES[outcome.frame.trace_ids[c].as_py().hex()] for c in outcome.traces] == ["T1", "T5"]


async def test_budget_stops_the_query() -> None:
    engine = await _engine("blocks", budget=100)
    with pytest.raises(SearchBudgetExceeded, match="narrow start/end"):
        await engine.search(TENANT, SearchQuery(parse_and_validate("{ }")))
