"""Compaction throughput and memory: MB/s and spans/s merged, input vs output bytes, peak RSS.

    python -m bench.compaction                 # 1 GB of input blocks (default)
    python -m bench.compaction --size-mb 200   # any size
    python -m bench.compaction --quick         # ~20 MB, a smoke run

Input: realistic traces from ``bench.workload``, turned into level-0 blocks in one closed window
the way ingesters cut them: each trace's spans scattered over the 8 blocks of a group and ~2 % of
spans written twice (client retries). To reach gigabytes without spending minutes in the OTLP
generator, a base set of spans is reused with every copy's trace IDs XOR-ed by a per-copy key
(new traces, same shape). Compaction then runs in a fresh child process, so its peak RSS
(VmHWM) is the compactor's own and not the generator's; ``max_block_bytes`` makes each job merge
one group of 8 blocks, so job memory is fixed and the RSS should not grow with the input size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

BLOCKS_PER_JOB = 8
HOUR_NS = 3600 * 10**9


def _base_table(spans: int, start_ns: int) -> pa.Table:
    from bench.workload import generate_requests
    from tempo_py.model.otlp_to_arrow import resource_spans_to_table

    reqs = generate_requests(spans, spans_per_request=5000, seed=42, start_time_ns=start_ns)
    return pa.concat_tables([resource_spans_to_table(r.resource_spans) for r in reqs])


def _rekey(table: pa.Table, copy: int) -> pa.Table:
    """The same spans as new traces one hour earlier per copy: trace IDs XOR a per-copy key.

    Each copy lands in its own compaction window, so a job merges exactly one group of blocks.
    """
    ids = table.column("trace_id").combine_chunks()
    mat = np.frombuffer(ids.buffers()[1], dtype=np.uint8, count=16 * len(ids), offset=16 * ids.offset)
    key = np.frombuffer(np.random.default_rng(copy).bytes(16), dtype=np.uint8)
    new = (mat.reshape(-1, 16) ^ key).tobytes()
    arr = pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), len(ids), [None, pa.py_buffer(new)])
    table = table.set_column(0, table.schema.field(0), arr)
    for name in ("start_time_unix_nano", "end_time_unix_nano"):
        i = table.schema.get_field_index(name)
        shifted = pc.subtract(table.column(name), pa.scalar(copy * HOUR_NS, pa.uint64()))
        table = table.set_column(i, table.schema.field(i), shifted)
    return table


async def generate(root: Path, size_mb: float) -> dict[str, Any]:
    """Write level-0 blocks totalling ``size_mb`` of data.parquet under ``root``."""
    from tempo_py.app.wiring import block_settings
    from tempo_py.block.encoding import encode_block, upload_block
    from tempo_py.config import Config
    from tempo_py.storage.local import LocalStore

    store = LocalStore(root)
    start_ns = (time.time_ns() // HOUR_NS - 3) * HOUR_NS + 5 * 60 * 10**9  # a closed window
    base = _base_table(min(200_000, max(20_000, int(size_mb * 1e6 / 50 / 4))), start_ns)
    rng = np.random.default_rng(7)
    total = blocks = spans = 0
    copy = 0
    t0 = time.perf_counter()
    while total < size_mb * 1e6:
        table = _rekey(base, copy)
        home = rng.integers(0, BLOCKS_PER_JOB, table.num_rows)
        dup = rng.random(table.num_rows) < 0.02
        for b in range(BLOCKS_PER_JOB):
            rows = np.flatnonzero((home == b) | (dup & (home == (b + 1) % BLOCKS_PER_JOB)))
            part = table.take(pa.array(rows))
            enc = await asyncio.to_thread(encode_block, "bench", part, block_settings(Config.default()))
            await upload_block(store, enc)
            total += enc.meta.size
            spans += part.num_rows
            blocks += 1
        copy += 1
    return {
        "input_bytes": total,
        "input_blocks": blocks,
        "input_spans": spans,
        "generate_s": time.perf_counter() - t0,
    }


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


async def compact(root: Path, max_block_bytes: int) -> dict[str, Any]:
    """Run the compactor to a steady state over ``root`` (called in the child process)."""
    from tempo_py.app.wiring import block_settings, compactor_settings
    from tempo_py.compactor.compactor import Compactor
    from tempo_py.config import CompactionConfig, CompactorConfig, Config
    from tempo_py.storage.local import LocalStore

    cfg = Config(
        compactor=CompactorConfig(
            compaction=CompactionConfig(
                max_block_bytes=max_block_bytes,
                max_input_blocks=BLOCKS_PER_JOB,
                compacted_block_retention=3600.0,
            )
        )
    )
    comp = Compactor(LocalStore(root), compactor_settings(cfg), block_settings(cfg))
    rss_before = _rss_kb("VmRSS")
    t0 = time.perf_counter()
    r = await comp.run_until_idle()
    elapsed = time.perf_counter() - t0
    return {
        "elapsed_s": elapsed,
        "jobs": r.jobs,
        "blocks_in": r.blocks_in,
        "bytes_in": r.bytes_in,
        "bytes_out": r.bytes_out,
        "spans_in": r.spans_in,
        "spans_out": r.spans_out,
        "rss_before_mb": rss_before / 1024,
        "peak_rss_mb": _rss_kb("VmHWM") / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    """Generate input blocks, compact them in a child process, print the figures."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--size-mb", type=float, default=1024.0, help="input data bytes to generate (MB, default 1024)"
    )
    p.add_argument("--quick", action="store_true", help="small run (~20 MB)")
    p.add_argument("--dir", help="work directory (default: a temporary one, removed afterwards)")
    p.add_argument("--compact-child", help=argparse.SUPPRESS)
    p.add_argument("--max-block-bytes", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.compact_child:
        print(json.dumps(asyncio.run(compact(Path(args.compact_child), args.max_block_bytes))))
        return 0
    size = 20.0 if args.quick else args.size_mb
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        root = Path(tmp) / "blocks"
        gen = asyncio.run(generate(root, size))
        per_block = gen["input_bytes"] / gen["input_blocks"]
        # one group of 8 fits a job with room to spare; two outputs never fit one
        max_block_bytes = int(per_block * (BLOCKS_PER_JOB + 0.5))
        child = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.compaction",
                "--compact-child",
                str(root),
                "--max-block-bytes",
                str(max_block_bytes),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        res = json.loads(child.stdout.strip().splitlines()[-1])
    mb_in = res["bytes_in"] / 1e6
    print(
        f"input: {gen['input_blocks']} blocks, {gen['input_bytes'] / 1e6:.1f} MB, "
        f"{gen['input_spans']:,} span rows (generated in {gen['generate_s']:.0f}s)"
    )
    print(f"compaction: {res['jobs']} jobs, {res['blocks_in']} blocks in, {res['elapsed_s']:.1f}s")
    print(
        f"throughput: {mb_in / res['elapsed_s']:.1f} MB/s of input, "
        f"{res['spans_in'] / res['elapsed_s']:,.0f} spans/s merged (one process, 2 cores)"
    )
    print(
        f"bytes: in {mb_in:.1f} MB -> out {res['bytes_out'] / 1e6:.1f} MB "
        f"({res['spans_in']:,} -> {res['spans_out']:,} spans after dropping duplicates)"
    )
    print(
        f"memory: peak RSS {res['peak_rss_mb']:.0f} MB (RSS before compaction {res['rss_before_mb']:.0f} MB; "
        f"max_block_bytes {max_block_bytes / 1e6:.0f} MB per job)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
