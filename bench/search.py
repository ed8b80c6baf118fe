"""Search benchmark: latency of typical TraceQL queries over blocks on local disk.

    .venv/bin/python -m bench.search --spans 10000000      # 10M spans (blocks built once, cached)
    .venv/bin/python -m bench.search --quick               # 200k spans
    .venv/bin/python -m bench.search --compacted           # 1M spans in one compacted block

``--compacted`` is the layout users search after compaction: ``--spans`` (default 1M) spans of
bench.workload (seed 42) in one level-1 block (``parquet_compacted_row_group_spans`` row groups), the
layout of the side-by-side measurement against Tempo. It times Tempo's comparison queries at limit 20
and at ``--high-limit`` and prints the process's peak RSS (the block is built in a child process, so
building does not count).

Blocks are built once under bench/.cache/search-<spans>/ with a block writer from bench.workload output:
a base set of spans is generated and converted once, then copied with distinct trace IDs (the first
four bytes of each copy's IDs are replaced by the copy number) until the requested size is reached,
so building 10M spans does not pay the per-span Python conversion 10M times. Each copy is also moved
later in time by the base set's time span, so blocks cover successive time windows as ingesters cut
them. Queries run with Grafana's default ``limit=20``. Every block holds
``--block-spans`` spans in the default row groups (``parquet_row_group_spans``).

Prints per query: wall latency (median of ``--repeat``), spans inspected, traces found, and spans
inspected per second per core (spans / process CPU seconds, so parallel decode counts once per core).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import resource
import statistics
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from bench.workload import generate_request_bytes
from tempo_py.app.wiring import block_settings, querier_concurrency
from tempo_py.block.blocklist import Blocklist
from tempo_py.block.encoding import create_writer, upload_block
from tempo_py.config import Config
from tempo_py.model.otlp_to_arrow import resource_spans_to_table
from tempo_py.model.table_ops import concat, sort_spans
from tempo_py.querier.querier import Querier
from tempo_py.querier.search import SearchEngine
from tempo_py.querier.search_api import parse_identifier
from tempo_py.querier.search_query import SearchQuery
from tempo_py.querier.search_tags import TagQuery, tag_names, tag_values
from tempo_py.storage.local import LocalStore
from tempo_py.traceql import parse_and_validate

TENANT = "bench"
CACHE = Path(__file__).parent / ".cache"
QUERIES = [
    '{ resource.service.name = "frontend" && duration > 500ms }',
    '{ resource.service.name = "payment" && status = error }',
    '{ span.db.system = "redis" && duration > 20ms }',
    '{ name = "HTTP GET" || kind = consumer } | count() > 50',
    '{ resource.service.name = "checkout" } >> { status = error }',
    "{ trace:duration > 5s }",
]

# The queries of the side-by-side measurement against Tempo 3.1 (issue 11).
COMPACTED_QUERIES = [
    '{ resource.service.name = "frontend" && duration > 500ms }',
    "{ status = error }",
    "{ span.http.response.status_code >= 500 }",
    '{ name = "GET" } | count() > 5',
    "{ } | select(span.http.request.method)",
    '{ resource.service.name = "checkout" } >> { status = error }',
]


def _base_table(spans: int, seed: int, start_ns: int) -> pa.Table:
    parts = []
    for body in generate_request_bytes(spans, seed=seed, start_time_ns=start_ns):
        req = ExportTraceServiceRequest.FromString(body)
        parts.append(resource_spans_to_table(req.resource_spans))
    return concat(parts)


def _with_copy_ids(table: pa.Table, copy: int) -> pa.Table:
    """The table with each trace ID's first 4 bytes set to ``copy`` (and the same for link IDs)."""
    ids = table.column("trace_id").combine_chunks()
    raw = np.frombuffer(ids.buffers()[1], dtype=np.uint8)[: 16 * len(ids)].reshape(-1, 16).copy()
    raw[:, :4] = np.frombuffer(copy.to_bytes(4, "big"), dtype=np.uint8)
    new_ids = pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(16), len(ids), [None, pa.py_buffer(raw.tobytes())]
    )
    table = table.set_column(table.schema.get_field_index("trace_id"), "trace_id", new_ids)
    return _shift_times(table, copy * _time_span(table))


def _time_span(table: pa.Table) -> int:
    """Nanoseconds from the base set's first start to its last end (+1 s)."""
    return (
        int(pc.max(table["end_time_unix_nano"]).as_py() - pc.min(table["start_time_unix_nano"]).as_py())
        + 10**9
    )


def _shift_times(table: pa.Table, shift: int) -> pa.Table:
    """Move spans and their events ``shift`` ns later, as the next stretch of time would be.

    Copies follow each other in time, so blocks cover successive time windows the way ingesters
    cut them (blocks of one time range all overlapping would be an unrealistic search workload).
    """
    if shift == 0:
        return table
    delta = pa.scalar(shift, pa.uint64())
    for name in ("start_time_unix_nano", "end_time_unix_nano"):
        i = table.schema.get_field_index(name)
        table = table.set_column(i, table.schema.field(i), pc.add(table[name], delta))
    events = table["events"].combine_chunks()
    flat = events.flatten()
    moved = pa.StructArray.from_arrays(
        [pc.add(flat.field("time_unix_nano"), delta), *(flat.field(f.name) for f in list(flat.type)[1:])],
        fields=list(flat.type),
    )
    i = table.schema.get_field_index("events")
    return table.set_column(i, table.schema.field(i), pa.ListArray.from_arrays(events.offsets, moved))


async def build(root: Path, total: int, base_spans: int, block_spans: int) -> None:
    """Write ``total`` spans of blocks under ``root`` unless already there."""
    if (root / "done").exists():
        return
    t0 = time.perf_counter()
    start_ns = (int(time.time()) - 3600) * 10**9
    base = _base_table(min(base_spans, total), 42, start_ns)
    print(f"generated {base.num_rows} base spans in {time.perf_counter() - t0:.1f}s", flush=True)
    store = LocalStore(root)
    cfg = block_settings(Config.default())
    copy, written = 0, 0
    while written < total:
        parts = []
        in_block = 0
        while in_block < block_spans and written + in_block < total:
            part = _with_copy_ids(base, copy)
            take = min(part.num_rows, block_spans - in_block, total - written - in_block)
            parts.append(part.slice(0, take))
            in_block += take
            copy += 1
        writer = create_writer(TENANT, cfg)
        writer.add(sort_spans(concat(parts)))
        meta = await upload_block(store, await asyncio.to_thread(writer.finish))
        written += meta.span_count
        print(
            f"  block {meta.block_id[:8]}: {meta.span_count} spans, {meta.size / 2**20:.1f} MiB", flush=True
        )
    (root / "done").write_text(str(written))
    print(f"built {written} spans in {time.perf_counter() - t0:.1f}s", flush=True)


def _build_compacted(root: Path, total: int) -> None:
    """One level-1 block of ``total`` workload spans (seed 42) under ``root`` unless already there."""
    if (root / "done").exists():
        return
    t0 = time.perf_counter()
    start_ns = (int(time.time()) - 3600) * 10**9
    table = sort_spans(_base_table(total, 42, start_ns))
    print(f"generated {table.num_rows} spans in {time.perf_counter() - t0:.1f}s", flush=True)
    writer = create_writer(TENANT, block_settings(Config.default()), level=1)
    writer.add(table)
    meta = asyncio.run(upload_block(LocalStore(root), writer.finish()))
    print(
        f"  block {meta.block_id[:8]}: {meta.span_count} spans, {meta.row_groups} row groups, "
        f"{meta.size / 2**20:.1f} MiB",
        flush=True,
    )
    (root / "done").write_text(str(meta.span_count))


def _engine(root: Path) -> tuple[SearchEngine, Blocklist]:
    store = LocalStore(root)
    blocklist = Blocklist(store, builder=True, poll_interval_s=3600)
    engine = SearchEngine.for_querier(
        Querier(store, blocklist, [], concurrency=querier_concurrency(Config.default())),
        max_bytes_per_query=1 << 40,
    )
    return engine, blocklist


async def run_compacted(root: Path, repeat: int, high_limit: int, lookups: int) -> None:
    """Time each comparison query at limit 20 and at ``high_limit``, then ``lookups`` trace-by-ID
    lookups; print peak RSS."""
    engine, blocklist = _engine(root)
    metas = await blocklist.searchable(TENANT)
    print(
        f"{len(metas)} block(s), {sum(m.span_count for m in metas):,} spans, "
        f"{sum(m.row_groups for m in metas)} row groups, {sum(m.size for m in metas) / 2**20:.0f} MiB"
    )
    await engine.search(TENANT, SearchQuery(parse_and_validate("{ false }")))  # footers into cache
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'query':62} {'limit':>6} {'median s':>9} {'traces':>7} {'spans inspected':>16}")
    for text in COMPACTED_QUERIES:
        for limit in (20, high_limit):
            query = SearchQuery(parse_and_validate(text), limit=limit)
            walls = []
            for _ in range(repeat):
                w0 = time.perf_counter()
                outcome = await engine.search(TENANT, query)
                walls.append(time.perf_counter() - w0)
            found = min(len(outcome.traces), limit)
            print(
                f"{text:62} {limit:6} {statistics.median(walls):9.3f} {found:7} "
                f"{outcome.stats.inspected_spans:16,}",
                flush=True,
            )
    await _lookups(engine, lookups)
    await _tags(engine, repeat)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {rss:.0f} MiB (after loading footers: {rss0:.0f} MiB)")


async def _lookups(engine: SearchEngine, count: int) -> None:
    """Trace by ID of ``count`` random traces of the block (warm caches): p50, p99, max."""
    everything = await engine.search(TENANT, SearchQuery(parse_and_validate("{ }")))
    ids = random.Random(42).sample(everything.frame.trace_ids.to_pylist(), count)
    querier = Querier(
        engine.store, engine.blocklist, [], engine.caches, concurrency=querier_concurrency(Config.default())
    )
    walls = []
    for tid in ids:
        w0 = time.perf_counter()
        table = await querier.find_trace(TENANT, tid)
        walls.append(time.perf_counter() - w0)
        assert table.num_rows, tid.hex()
    q = statistics.quantiles(walls, n=100)
    print(
        f"trace by ID ({count} random traces): p50 {q[49] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms, "
        f"max {max(walls) * 1000:.1f} ms"
    )


async def _tags(engine: SearchEngine, repeat: int) -> None:
    """Autocomplete as Grafana asks for it: tag names of span and resource, values of service.name."""
    walls: dict[str, list[float]] = {"names": [], "values": []}
    for _ in range(repeat):
        w0 = time.perf_counter()
        await tag_names(engine, TENANT, TagQuery(), ["span", "resource"])
        walls["names"].append(time.perf_counter() - w0)
        w0 = time.perf_counter()
        await tag_values(engine, TENANT, TagQuery(), parse_identifier("resource.service.name"))
        walls["values"].append(time.perf_counter() - w0)
    print(
        f"tag names (span, resource): {statistics.median(walls['names']) * 1000:.1f} ms; "
        f"values of resource.service.name: {statistics.median(walls['values']) * 1000:.1f} ms"
    )


async def run(root: Path, repeat: int) -> None:
    """Time each query over the cached blocks."""
    engine, blocklist = _engine(root)
    metas = await blocklist.searchable(TENANT)
    total = sum(m.span_count for m in metas)
    print(f"{len(metas)} blocks, {total:,} spans, {sum(m.size for m in metas) / 2**20:.0f} MiB")
    await engine.search(TENANT, SearchQuery(parse_and_validate("{ false }")))  # footers into cache
    print(f"{'query':64} {'median s':>9} {'spans inspected':>16} {'traces':>7} {'spans/s/core':>13}")
    for text in QUERIES:
        query = SearchQuery(parse_and_validate(text), limit=20)  # Grafana's default limit
        walls, cpus = [], []
        for _ in range(repeat):
            w0, c0 = time.perf_counter(), time.process_time()
            outcome = await engine.search(TENANT, query)
            walls.append(time.perf_counter() - w0)
            cpus.append(time.process_time() - c0)
        inspected = outcome.stats.inspected_spans
        per_core = inspected / max(statistics.median(cpus), 1e-9)
        wall = statistics.median(walls)
        print(f"{text:64} {wall:9.3f} {inspected:16,} {len(outcome.traces):7} {per_core:13,.0f}")


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spans", type=int, default=10_000_000)
    parser.add_argument("--quick", action="store_true", help="200k spans")
    parser.add_argument("--base-spans", type=int, default=500_000, help="spans generated before copying")
    parser.add_argument("--block-spans", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--compacted", action="store_true", help="one compacted block (see above)")
    parser.add_argument("--high-limit", type=int, default=10_000)
    parser.add_argument("--lookups", type=int, default=300, help="trace-by-ID lookups (--compacted)")
    args = parser.parse_args()
    if args.compacted:
        total = 1_000_000 if args.spans == parser.get_default("spans") else args.spans
        root = CACHE / f"search-compacted-{total}"
        # built in a child so the generator's memory does not count in the peak RSS printed
        child = multiprocessing.get_context("spawn").Process(target=_build_compacted, args=(root, total))
        child.start()
        child.join()
        if child.exitcode:
            raise SystemExit(f"building the block failed ({child.exitcode})")
        asyncio.run(run_compacted(root, args.repeat, args.high_limit, args.lookups))
        return
    total = 200_000 if args.quick else args.spans
    root = CACHE / f"search-{total}"
    asyncio.run(build(root, total, args.base_spans, args.block_spans))
    asyncio.run(run(root, args.repeat))


if __name__ == "__main__":
    main()
