"""TraceQL metrics benchmark: latency of metrics queries over blocks on local disk.

    .venv/bin/python -m bench.metrics                   # 10M spans, 24 h range, step 60 s
    .venv/bin/python -m bench.metrics --quick           # 200k spans

Blocks are bench.search's (built once and cached under bench/.cache/search-<spans>/, shared with
``bench.search --spans N``). Each query runs over a 24 h range starting at the blocks' first span,
step 60 s (1,441 intervals), through MetricsEngine as the HTTP API runs it; prints the median
wall time of ``--repeat`` runs, spans inspected and series returned.

It then times the bucketing step alone, Arrow's hash group-by (what the engine uses) against
DuckDB over the same Arrow table (zero-copy scan), on the spans of the first block: the figures
behind docs/metrics.md's choice of Arrow. DuckDB is no longer a dependency of tempo_py (that
measurement is why); ``pip install duckdb`` to run the comparison, else it is skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from bench.search import CACHE, TENANT, build
from tempo_py.app.wiring import querier_concurrency
from tempo_py.block.blocklist import Blocklist
from tempo_py.block.cache import BlockCaches
from tempo_py.block.encoding import open_block
from tempo_py.config import Config
from tempo_py.querier.metrics.engine import MetricsEngine
from tempo_py.querier.metrics.request import SECOND, MetricsRequest, align
from tempo_py.querier.querier import Querier
from tempo_py.querier.search import SearchEngine
from tempo_py.storage.local import LocalStore
from tempo_py.traceql import parse_and_validate

QUERIES = [
    "{ } | rate() by (resource.service.name)",
    "{ } | quantile_over_time(duration, .99) by (resource.service.name)",
    "{ status = error } | rate() by (resource.service.name)",
    "{ } | histogram_over_time(duration) by (resource.service.name)",
    "{ nestedSetParent < 0 && true } | rate() by (resource.service.name)",
]
STEP_S = 60
RANGE_S = 24 * 3600


async def run(root: Path, repeat: int) -> None:
    """Time each query over the cached blocks."""
    store = LocalStore(root)
    blocklist = Blocklist(store, builder=True, poll_interval_s=3600)
    querier = Querier(store, blocklist, [], BlockCaches(), concurrency=querier_concurrency(Config.default()))
    engine = MetricsEngine(SearchEngine.for_querier(querier, max_bytes_per_query=1 << 40), max_series=0)
    metas = await blocklist.searchable(TENANT)
    first = min(m.start_time_ns for m in metas)
    print(
        f"{len(metas)} blocks, {sum(m.span_count for m in metas):,} spans, "
        f"{sum(m.size for m in metas) / 2**20:.0f} MiB"
    )
    start, end = align(first, first + RANGE_S * SECOND, STEP_S * SECOND)
    print(f"{'query':70} {'median s':>9} {'min s':>7} {'spans inspected':>16} {'series':>7}")
    for text in QUERIES:
        req = MetricsRequest(parse_and_validate(text), text, start, end, STEP_S * SECOND, instant=False)
        walls = []
        for _ in range(repeat):
            w0 = time.perf_counter()
            result, stats = await engine.query(TENANT, req)
            walls.append(time.perf_counter() - w0)
        print(
            f"{text:70} {statistics.median(walls):9.3f} {min(walls):7.3f} {stats.inspected_spans:16,} "
            f"{len(result.series):7}",
            flush=True,
        )
    await _bucketing(store, metas[0], start)


async def _bucketing(store: LocalStore, meta: object, start: int) -> None:
    """Arrow group-by vs DuckDB for (service, interval) counts over one block's spans."""
    try:
        import duckdb
    except ImportError:
        print("bucketing comparison skipped: duckdb is not installed (pip install duckdb)")
        return

    from tempo_py.block.meta import BlockMeta

    assert isinstance(meta, BlockMeta)
    scan = await open_block(store, meta, BlockCaches()).scan()
    groups = list(range(scan.num_groups))
    columns = ["start_time_unix_nano", "service_name"]
    await scan.fetch(scan.ranges(groups, columns), asyncio.Semaphore(8))
    table = scan.decode(groups, columns)
    ts = np.asarray(table.column("start_time_unix_nano").to_numpy(), dtype=np.int64)
    spans = pa.table(
        {
            "interval": pa.array((ts - start - 1) // (STEP_S * SECOND)),
            "service": table.column("service_name"),
        }
    )

    def arrow() -> int:
        return int(
            spans.group_by(["service", "interval"], use_threads=False).aggregate([([], "count_all")]).num_rows
        )

    con = duckdb.connect()
    con.execute("SET threads TO 1")
    con.register("spans", spans)

    def duck() -> int:
        rows = con.sql("SELECT service, interval, count(*) FROM spans GROUP BY ALL").to_arrow_table()
        return int(rows.num_rows)

    for name, fn in (("arrow group_by", arrow), ("duckdb GROUP BY", duck)):
        fn()
        walls = []
        for _ in range(5):
            w0 = time.perf_counter()
            fn()
            walls.append(time.perf_counter() - w0)
        print(
            f"bucketing {spans.num_rows:,} spans, {name:16} (1 thread): "
            f"{statistics.median(walls) * 1000:7.1f} ms"
        )


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
    args = parser.parse_args()
    total = 200_000 if args.quick else args.spans
    root = CACHE / f"search-{total}"
    root.mkdir(parents=True, exist_ok=True)
    asyncio.run(build(root, total, args.base_spans, args.block_spans))
    asyncio.run(run(root, args.repeat))


if __name__ == "__main__":
    main()
