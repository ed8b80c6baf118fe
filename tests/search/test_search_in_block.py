"""Search inside one large block: stopping at the limit, the key index, most_recent.

One level-1 block of bench.workload spans in many row groups is the layout users search after
compaction: every row group covers the whole time range, so the search reads row groups in order
and stops once `limit` matching traces are complete.
"""

from __future__ import annotations

import pyarrow as pa
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans

from bench.workload import generate_request_bytes
from tempo_py.block.blocklist import Blocklist
from tempo_py.block.encoding import create_writer, upload_block
from tempo_py.model.anyvalue import kv
from tempo_py.model.otlp_to_arrow import resource_spans_to_table
from tempo_py.model.table_ops import concat, sort_spans
from tempo_py.querier.querier import Querier
from tempo_py.querier.search import SearchEngine, SearchOutcome
from tempo_py.querier.search_api import parse_identifier
from tempo_py.querier.search_query import SearchQuery, SearchStats
from tempo_py.querier.search_tags import TagQuery, tag_names, tag_values
from tempo_py.storage.memory import MemoryStore
from tempo_py.traceql import parse_and_validate
from tempo_py.traceql.eval.plan import TRUE, candidates, leaves
from tests.support.settings import QUERIER_CONCURRENCY, block_settings

TENANT = "single-tenant"
QUERIES = [
    '{ resource.service.name = "frontend" && duration > 50ms }',
    "{ status = error }",
    "{ span.http.response.status_code >= 500 }",
    '{ name = "GET" } | count() > 2',
    "{ } | select(span.http.request.method)",
    '{ resource.service.name = "checkout" } >> { status = error }',
    "{ trace:duration > 100ms }",
]


async def _engine(table: pa.Table, group_spans: int) -> SearchEngine:
    store = MemoryStore()
    blocklist = Blocklist(store, builder=True, poll_interval_s=3600)
    writer = create_writer(TENANT, block_settings(compacted_row_group_spans=group_spans), level=1)
    writer.add(sort_spans(table))
    blocklist.add(await upload_block(store, writer.finish()))
    return SearchEngine.for_querier(Querier(store, blocklist, [], concurrency=QUERIER_CONCURRENCY), 1 << 40)


@pytest.fixture(scope="module")
def workload() -> pa.Table:
    bodies = generate_request_bytes(20_000, seed=7)
    return concat(
        [resource_spans_to_table(ExportTraceServiceRequest.FromString(b).resource_spans) for b in bodies]
    )


def _ids(outcome: SearchOutcome) -> list[bytes]:
    return [outcome.frame.trace_ids[c].as_py() for c in outcome.traces]


def _starts(outcome: SearchOutcome) -> list[int]:
    return [int(outcome.frame.trace_start[c]) for c in outcome.traces]


async def test_results_at_a_limit_are_a_subset_of_all_newest_first(workload: pa.Table) -> None:
    engine = await _engine(workload, group_spans=500)
    stopped_early = 0
    for text in QUERIES:
        root = parse_and_validate(text)
        full = await engine.search(TENANT, SearchQuery(root))
        everything = set(_ids(full))
        assert everything, f"{text}: the workload should match"
        for limit in (1, 5, 20):
            top = await engine.search(TENANT, SearchQuery(root, limit=limit))
            got = _ids(top)[:limit]
            assert len(got) == min(limit, len(everything)), text
            assert set(got) <= everything, text
            starts = _starts(top)[:limit]
            assert starts == sorted(starts, reverse=True), f"{text}: newest first"
            # a returned trace is judged on all its spans: the same verdict as the full search
            stopped_early += top.stats.inspected_spans < full.stats.inspected_spans
    assert stopped_early >= len(QUERIES), "searches at a limit should stop inside the block"


async def test_most_recent_hint_returns_the_newest_matches(workload: pa.Table) -> None:
    engine = await _engine(workload, group_spans=500)
    for text in ('{ resource.service.name = "frontend" }', "{ status = error }"):
        full = await engine.search(TENANT, SearchQuery(parse_and_validate(text)))
        hinted = parse_and_validate(text + " with(most_recent=true)")
        top = await engine.search(TENANT, SearchQuery(hinted, limit=5))
        assert _ids(top)[:5] == _ids(full)[:5], text


def _request(spans: list[tuple[bytes, str, object]], base: int) -> list[ResourceSpans]:
    """One span per (trace ID, attribute key, value) under service "keys"."""
    req = ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    rs.resource.attributes.append(kv("service.name", "keys"))
    ss = rs.scope_spans.add()
    for i, (trace_id, key, value) in enumerate(spans):
        sp = ss.spans.add()
        sp.trace_id = trace_id
        sp.span_id = i.to_bytes(8, "big")
        sp.name = "op"
        sp.start_time_unix_nano = base + i
        sp.end_time_unix_nano = base + i + 1000
        sp.attributes.append(kv(key, value))
    return list(req.resource_spans)


async def test_key_index_prunes_row_groups_and_keeps_values_of_other_types() -> None:
    """An int column answers for its key only where the generic list holds no other-typed value."""
    base = 1_700_000_000 * 10**9
    spans = [
        (bytes([1]) + bytes(15), "http.response.status_code", 503),  # dedicated int column
        (bytes([2]) + bytes(15), "http.response.status_code", 503.5),  # a double: generic list
        (bytes([3]) + bytes(15), "http.response.status_code", 200),
        (bytes([4]) + bytes(15), "only.here", "x"),
        (bytes([5]) + bytes(15), "http.response.status_code", 404),
        (bytes([6]) + bytes(15), "other", "y"),
    ]
    engine = await _engine(resource_spans_to_table(_request(spans, base)), group_spans=2)
    scans = await engine.plan_blocks(TENANT, SearchQuery(parse_and_validate("{ }")), SearchStats())
    (scan,) = scans
    assert scan.num_groups == 3

    async def found(text: str) -> set[int]:
        outcome = await engine.search(TENANT, SearchQuery(parse_and_validate(text)))
        return {tid[0] for tid in _ids(outcome)}

    assert await found("{ span.http.response.status_code >= 500 }") == {1, 2}
    assert await found("{ span.http.response.status_code = 503.5 }") == {2}
    assert await found('{ span.only.here = "x" }') == {4}
    assert await found("{ } | select(span.only.here)") == {1, 2, 3, 4, 5, 6}

    def kept(text: str) -> list[int]:
        query = SearchQuery(parse_and_validate(text))
        return engine.prune(scan, leaves(candidates(query.root)), query)

    # groups: {1, 2} (int + double), {3, 4} (200, only.here), {5, 6} (404, other)
    assert kept('{ span.only.here = "x" }') == [1]
    assert kept('{ span.missing = "x" }') == []
    # group 0 keeps a double in the list; group 2 has no list value, and its column's max is 404
    assert kept("{ span.http.response.status_code >= 500 }") == [0]


@pytest.mark.parametrize("group_spans", [7, 10_000])
async def test_same_answers_whatever_the_row_groups(workload: pa.Table, group_spans: int) -> None:
    small = await _engine(workload.slice(0, 4000), group_spans=group_spans)
    one = await _engine(workload.slice(0, 4000), group_spans=100_000)
    for text in QUERIES:
        root = parse_and_validate(text)
        a = await small.search(TENANT, SearchQuery(root))
        b = await one.search(TENANT, SearchQuery(root))
        assert _ids(a) == _ids(b), text


async def test_tag_names_from_the_key_index_equal_a_scan(workload: pa.Table) -> None:
    engine = await _engine(workload, group_spans=500)
    scopes = ["span", "resource", "instrumentation", "intrinsic"]
    indexed = await tag_names(engine, TENANT, TagQuery(), scopes)
    scanned = await tag_names(engine, TENANT, TagQuery(filters=(TRUE,)), scopes)  # a filter: no index
    assert indexed == scanned
    assert "http.response.status_code" in indexed["span"] and "service.name" in indexed["resource"]
    values = await tag_values(engine, TENANT, TagQuery(), parse_identifier("resource.service.name"))
    assert ("string", "frontend") in values and ("string", "checkout") in values
