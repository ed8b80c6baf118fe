"""Trace-by-ID over blocks: latency, backend requests and bytes per lookup, bytes per span on disk.

    python -m bench.lookup                 # 1M spans in 100 blocks, local disk and S3 (moto server)
    python -m bench.lookup --quick         # 50k spans in 10 blocks (CI proves the script works)
    python -m bench.lookup --spans 2000000 --blocks 200 --lookups 1000 --no-s3

The workload is bench/workload.py's (seeded). Blocks are built once and cached under bench/.cache/.
Lookups go through the querier's path (time range -> bloom shard -> footer -> row group) over every
block, as a query with no start/end does. "cold" = empty bloom/footer caches for each lookup (a
querier that just started); "warm" = caches kept across lookups (a running querier). Figures are
printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import statistics
import sys
import time
from pathlib import Path

import pyarrow as pa

from bench.workload import Workload, WorkloadConfig
from tempo_py.app.wiring import block_settings, querier_concurrency
from tempo_py.block.blocklist import list_tenant
from tempo_py.block.cache import BlockCaches
from tempo_py.block.encoding import encode_block, upload_block
from tempo_py.block.find import find_in_blocks
from tempo_py.block.meta import BlockMeta
from tempo_py.config import Config
from tempo_py.ingester.convert_pool import otlp_bytes_to_table
from tempo_py.model.table_ops import concat
from tempo_py.storage.base import ObjectStore
from tempo_py.storage.counting import CountingStore
from tempo_py.storage.local import LocalStore

DEFAULTS = Config.default()

TENANT = "bench"
START_NS = 1_700_000_000 * 10**9
CACHE = Path(__file__).resolve().parent / ".cache"


def build_blocks(root: Path, spans: int, blocks: int, seed: int, row_group_spans: int) -> list[bytes]:
    """Write the workload as ``blocks`` blocks under ``root`` (once); returns the trace IDs."""
    ids_file = root / "trace_ids.bin"
    if ids_file.exists():
        data = ids_file.read_bytes()
        return [data[i : i + 16] for i in range(0, len(data), 16)]
    root.mkdir(parents=True, exist_ok=True)
    store = LocalStore(root)
    per_block = int(spans / blocks * 0.95)  # requests hold whole traces, so blocks overshoot a little
    wl = Workload(WorkloadConfig(seed=seed, start_time_ns=START_NS))
    trace_ids: list[bytes] = []
    pending: list[pa.Table] = []
    pending_spans = 0
    written = 0
    t0 = time.perf_counter()

    async def flush() -> None:
        nonlocal pending, pending_spans, written
        block = encode_block(
            TENANT,
            concat(pending),
            dataclasses.replace(block_settings(DEFAULTS), row_group_spans=row_group_spans),
        )
        await upload_block(store, block)
        pending, pending_spans = [], 0
        written += 1
        print(
            f"\r  built {written}/{blocks} blocks ({time.perf_counter() - t0:.0f}s)", end="", file=sys.stderr
        )

    async def run() -> None:
        nonlocal pending_spans
        for body, traces in wl.batches(spans, 1000):
            table = otlp_bytes_to_table(body)
            trace_ids.extend(t.trace_id for t in traces)
            pending.append(table)
            pending_spans += table.num_rows
            if pending_spans >= per_block and written < blocks - 1:
                await flush()
        if pending:
            await flush()

    asyncio.run(run())
    print(file=sys.stderr)
    ids_file.write_bytes(b"".join(trace_ids))
    return trace_ids


def disk_bytes(root: Path) -> int:
    """Bytes of every block object under root."""
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and p.name != "trace_ids.bin")


async def measure(
    store: ObjectStore, metas: list[BlockMeta], ids: list[bytes], *, warm: bool, concurrency: int
) -> dict[str, float]:
    """Lookups of present and absent IDs; latency percentiles and backend requests/bytes per lookup."""
    counting = CountingStore(store, metrics=False)
    caches = BlockCaches()
    rnd = random.Random(7)
    absent = [rnd.randbytes(16) for _ in range(len(ids))]
    out: dict[str, float] = {}
    for label, probe in (("present", ids), ("absent", absent)):
        lat: list[float] = []
        counting.reset()
        spans = 0
        for tid in probe:
            if not warm:
                caches = BlockCaches()
            t0 = time.perf_counter()
            table = await find_in_blocks(counting, metas, tid, caches, concurrency=concurrency)
            lat.append(time.perf_counter() - t0)
            spans += table.num_rows
        n = len(probe)
        lat.sort()
        out[f"{label}_p50_ms"] = 1000 * statistics.median(lat)
        out[f"{label}_p99_ms"] = 1000 * lat[min(n - 1, int(n * 0.99))]
        out[f"{label}_requests"] = counting.total / n
        out[f"{label}_data_reads"] = counting.counts.get("get_range", 0) / n
        out[f"{label}_kib_read"] = counting.bytes_read / n / 1024
        out[f"{label}_spans"] = spans / n
    return out


def report(name: str, r: dict[str, float]) -> None:
    """One line per probe kind."""
    for label in ("present", "absent"):
        p50, p99 = r[label + "_p50_ms"], r[label + "_p99_ms"]
        print(
            f"  {name:<11} {label:<8} p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  "
            f"{r[label + '_requests']:6.2f} requests ({r[label + '_data_reads']:.2f} range reads)  "
            f"{r[label + '_kib_read']:8.1f} KiB read  {r[label + '_spans']:.1f} spans"
        )


async def run_backend(
    name: str, store: ObjectStore, ids: list[bytes], lookups: int, concurrency: int
) -> None:
    """Both cache modes on one backend."""
    tb = await list_tenant(store, TENANT)
    metas = list(tb.live.values())
    sample = random.Random(1).sample(ids, min(lookups, len(ids)))
    for warm in (False, True):
        r = await measure(store, metas, sample, warm=warm, concurrency=concurrency)
        report(f"{name}/{'warm' if warm else 'cold'}", r)


async def upload_to_s3(local: Path, store: ObjectStore) -> None:
    """Copy every block object to S3 (meta.json of each block last)."""
    files = sorted(p for p in local.rglob("*") if p.is_file() and p.name != "trace_ids.bin")
    files.sort(key=lambda p: p.name == "meta.json")
    sem = asyncio.Semaphore(16)

    async def put(p: Path) -> None:
        async with sem:
            await store.put(p.relative_to(local).as_posix(), p.read_bytes())

    await asyncio.gather(*(put(p) for p in files))


def main(argv: list[str] | None = None) -> int:
    """Build (or reuse) the blocks, then measure on local disk and S3."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spans", type=int, default=1_000_000)
    ap.add_argument("--blocks", type=int, default=100)
    ap.add_argument("--lookups", type=int, default=500)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--row-group-spans", type=int, default=block_settings(DEFAULTS).row_group_spans)
    ap.add_argument("--concurrency", type=int, default=querier_concurrency(DEFAULTS))
    ap.add_argument("--no-s3", action="store_true", help="skip the S3 (moto server) run")
    ap.add_argument("--quick", action="store_true", help="50k spans, 10 blocks, 50 lookups")
    args = ap.parse_args(argv)
    if args.quick:
        args.spans, args.blocks, args.lookups = 50_000, 10, 50
    root = CACHE / f"lookup-{args.spans}-{args.blocks}-{args.seed}-rg{args.row_group_spans}"
    t0 = time.perf_counter()
    ids = build_blocks(root, args.spans, args.blocks, args.seed, args.row_group_spans)
    size = disk_bytes(root / TENANT)
    data = sum(p.stat().st_size for p in (root / TENANT).rglob("data.parquet"))
    n_blocks = len(list((root / TENANT).glob("*/meta.json")))
    span_count = sum(
        BlockMeta.from_json(p.read_bytes()).span_count for p in (root / TENANT).glob("*/meta.json")
    )
    print(
        f"workload: {span_count} spans, {len(ids)} traces, {n_blocks} blocks "
        f"(ready in {time.perf_counter() - t0:.1f}s)"
    )
    print(
        f"on disk: {size / span_count:.1f} bytes/span in all objects, {data / span_count:.1f} bytes/span "
        f"in data.parquet"
    )
    asyncio.run(run_backend("local", LocalStore(root), ids, args.lookups, args.concurrency))
    if not args.no_s3:
        from tests.support.moto_server import running_moto_server

        with running_moto_server() as moto:
            moto.client().create_bucket(Bucket="bench")
            s3 = moto.store("bench")

            async def s3_run() -> None:
                t1 = time.perf_counter()
                await upload_to_s3(root, s3)
                print(f"  (uploaded to moto S3 in {time.perf_counter() - t1:.1f}s)")
                await run_backend("s3(moto)", s3, ids, max(20, args.lookups // 5), args.concurrency)
                await s3.close()

            asyncio.run(s3_run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
