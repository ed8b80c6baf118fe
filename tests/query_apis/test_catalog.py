"""The service catalog: one read per block, never again; dropped with the block; edges and windows."""

from __future__ import annotations

import pyarrow as pa
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from tempo_py.block.blocklist import Blocklist
from tempo_py.block.encoding import write_block
from tempo_py.model.anyvalue import kv
from tempo_py.model.otlp_to_arrow import resource_spans_to_table
from tempo_py.querier.catalog.index import ServiceCatalog
from tempo_py.querier.catalog.summary import BUCKET_NS, summarize
from tempo_py.querier.querier import Querier
from tempo_py.querier.search import SearchEngine
from tempo_py.storage.counting import CountingStore
from tempo_py.storage.memory import MemoryStore
from tests.support.settings import QUERIER_CONCURRENCY, block_settings

TENANT = "single-tenant"
BASE = 1_700_000_000 * 10**9


def _request(trace: int, start: int, error: bool = False) -> ExportTraceServiceRequest:
    """front (server) -> front (client) -> back (server, maybe failing), plus a back-internal child."""
    req = ExportTraceServiceRequest()
    tid = trace.to_bytes(16, "big")
    ids = [(trace * 10 + i).to_bytes(8, "big") for i in range(4)]
    plan = [
        ("front", "GET /", Span.SPAN_KIND_SERVER, b""),
        ("front", "call", Span.SPAN_KIND_CLIENT, ids[0]),
        ("back", "handle", Span.SPAN_KIND_SERVER, ids[1]),
        ("back", "work", Span.SPAN_KIND_INTERNAL, ids[2]),
    ]
    for i, (service, name, kind, parent) in enumerate(plan):
        rs = req.resource_spans.add()
        rs.resource.attributes.append(kv("service.name", service))
        sp = rs.scope_spans.add().spans.add()
        sp.trace_id, sp.span_id, sp.name, sp.kind = tid, ids[i], name, kind
        if parent:
            sp.parent_span_id = parent
        sp.start_time_unix_nano, sp.end_time_unix_nano = start + i, start + 1000
        if error and name == "handle":
            sp.status.code = Status.STATUS_CODE_ERROR
    return req


def _table(trace: int, start: int, error: bool = False) -> pa.Table:
    return resource_spans_to_table(_request(trace, start, error).resource_spans)


def test_summary_edges_operations_and_errors() -> None:
    table = pa.concat_tables([_table(1, BASE), _table(2, BASE + BUCKET_NS, error=True)])
    s = summarize(table)
    assert s.operations == {
        ("front", "GET /", Span.SPAN_KIND_SERVER),
        ("front", "call", Span.SPAN_KIND_CLIENT),
        ("back", "handle", Span.SPAN_KIND_SERVER),
        ("back", "work", Span.SPAN_KIND_INTERNAL),
    }
    # only the call that crosses services counts, once per trace, in its minute
    assert {(e.parent, e.child, e.bucket): n for e, n in s.calls.items()} == {
        ("front", "back", BASE // BUCKET_NS): 1,
        ("front", "back", BASE // BUCKET_NS + 1): 1,
    }
    assert sum(s.errors.values()) == 1


async def test_each_block_is_read_once_and_forgotten_when_gone() -> None:
    store = CountingStore(MemoryStore(), metrics=False)
    blocklist = Blocklist(store, builder=True, poll_interval_s=3600)
    first = await write_block(store, TENANT, _table(1, BASE), block_settings())
    second = await write_block(store, TENANT, _table(2, BASE + 10 * BUCKET_NS, error=True), block_settings())
    blocklist.add(first)
    blocklist.add(second)
    engine = SearchEngine.for_querier(Querier(store, blocklist, [], concurrency=QUERIER_CONCURRENCY), 1 << 40)
    catalog = ServiceCatalog(engine)
    assert await catalog.services(TENANT) == ["back", "front"]
    store.reset()
    for _ in range(3):
        assert await catalog.services(TENANT) == ["back", "front"]
        assert await catalog.operations(TENANT, "back") == [("handle", "server"), ("work", "internal")]
        assert await catalog.operations(TENANT, "front", "client") == [("call", "client")]
        deps = await catalog.dependencies(TENANT, BASE, BASE + 20 * BUCKET_NS)
        assert [(d.parent, d.child, d.calls, d.errors) for d in deps] == [("front", "back", 2, 1)]
    assert store.total == 0  # answered from the summaries: no block read again
    # a window to the minute: only the second trace's call
    late = await catalog.dependencies(TENANT, BASE + 5 * BUCKET_NS, BASE + 20 * BUCKET_NS)
    assert [(d.calls, d.errors) for d in late] == [(1, 1)]
    blocklist.remove(TENANT, [first.block_id])
    deps = await catalog.dependencies(TENANT, BASE, BASE + 20 * BUCKET_NS)
    assert [(d.calls, d.errors) for d in deps] == [(1, 1)]
    assert len(catalog._blocks) == 1  # the removed block's summary is gone
