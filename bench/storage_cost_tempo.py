"""tempo_py as a user runs it: a real ``tempo-py serve`` process on local disk, fed over OTLP/HTTP.

Ingest = POST every request to /v1/traces, then POST /flush (blocks on disk): spans/s over both.
The server's own compactor (``target: all``, cycle set to 2 s) then merges the flushed blocks;
the bench waits until the compactor's planner finds nothing left to do (without a compactor the
figures are labelled "before compaction"). Lookups are GET /api/v2/traces/<id> over HTTP against
the same server. Object-store requests come from the server's ``tempo_backend_requests_total``
counters: every backend call of the process goes through CountingStore.
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import yaml

from bench.storage_cost_corpus import Corpus
from bench.storage_cost_model import Requests, Result
from bench.storage_cost_util import (
    dir_bytes,
    free_port,
    http_request,
    percentile,
    push_otlp,
    stop_process,
    time_lookups,
    wait_http_ok,
)
from tempo_py.block import paths
from tempo_py.block.meta import BlockMeta
from tempo_py.storage.local import LocalStore

TENANT = "single-tenant"
# Writes per span are the PUTs of block objects (counted from the blocks written). The server's
# other class-A calls -- blocklist LISTs, tenant index and lease writes each compaction cycle -- come
# per unit of time, not per span: at default periods (5 min poll, 30 s cycle) ~100k a month, ~$0.50.
# DELETE is free.
CLASS_B = ("get", "get_range")
_CYCLE_S = 2.0
_METRIC = re.compile(r'^tempo_backend_requests_total\{operation="(\w+)"\}\s+([0-9.e+]+)$', re.M)


class TempoProcess:
    """One ``tempo-py serve`` with its own ports, data directory and log."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.http_port = free_port()
        self.otlp_port = free_port()
        self.blocks_dir = workdir / "blocks"
        self.log = workdir / "server.log"
        config: dict[str, Any] = {
            "server": {"http_listen_address": "127.0.0.1", "http_listen_port": self.http_port},
            "distributor": {
                "receivers": {"otlp": {"protocols": {"http": {"endpoint": f"127.0.0.1:{self.otlp_port}"}}}}
            },
            "storage": {
                "trace": {
                    "backend": "local",
                    "local": {"path": str(self.blocks_dir)},
                    "wal": {"path": str(workdir / "wal")},
                    # Quick polls so the querier sees the compacted block seconds after it lands.
                    "blocklist_poll": "1s",
                }
            },
            # The server's compactor (target all) merges the flushed blocks within seconds.
            "compactor": {"compaction": {"compaction_cycle": f"{_CYCLE_S:g}s"}},
        }
        self.config_path = workdir / "tempo-py.yaml"
        self.config_path.write_text(yaml.safe_dump(config))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL of the query API."""
        return f"http://127.0.0.1:{self.http_port}"

    def start(self) -> None:
        """Start and wait for /ready."""
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tempo_py.cli", "serve", "--config", str(self.config_path)],
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_http_ok(self.url + "/ready", self.proc, 120.0, self.log)

    def stop(self) -> None:
        """SIGTERM (the server flushes and exits)."""
        if self.proc is not None:
            stop_process(self.proc, timeout=120.0)

    def backend_requests(self) -> dict[str, float]:
        """The server's object-store request counters by operation."""
        status, body = http_request(self.url + "/metrics")
        if status != 200:
            raise RuntimeError(f"GET /metrics: HTTP {status}")
        return {op: float(v) for op, v in _METRIC.findall(body.decode())}


def _delta(after: dict[str, float], before: dict[str, float], ops: tuple[str, ...]) -> float:
    return sum(after.get(op, 0.0) - before.get(op, 0.0) for op in ops)


async def _live_metas(store: LocalStore) -> list[BlockMeta]:
    keys = await store.list(TENANT + "/")
    metas = [k for k in keys if k.endswith("/" + paths.META)]
    return [BlockMeta.from_json(await store.get(k)) for k in metas]


def _wait_compacted(root: Path, timeout: float = 1800.0) -> str:
    """Wait until the server's compactor has nothing left to plan; returns what happened.

    Idle = the compactor's own planner finds no job among the live blocks, twice in a row a few
    compaction cycles apart (a job's inputs stay live until its output is written and they are
    marked, so a running job still shows up as a plan).
    """
    if importlib.util.find_spec("tempo_py.compactor.compactor") is None:
        return "before compaction (this build has no compactor)"
    from tempo_py.app.wiring import compaction_settings
    from tempo_py.compactor.planner import plan_tenant
    from tempo_py.config import CompactionConfig

    cfg = compaction_settings(CompactionConfig())
    store = LocalStore(root)
    began, before, quiet = time.monotonic(), None, 0
    while time.monotonic() - began < timeout:
        metas = asyncio.run(_live_metas(store))
        before = before if before is not None else len(metas)
        plans = plan_tenant(TENANT, metas, cfg, time.time_ns(), retention_s=cfg.block_retention)
        quiet = quiet + 1 if not any(p.jobs for p in plans) else 0
        if quiet >= 2:
            return (
                f"after compaction by the server's compactor ({before} flushed block(s) -> {len(metas)}, "
                f"{time.monotonic() - began:,.0f}s)"
            )
        time.sleep(3 * _CYCLE_S)
    return f"compaction not idle after {timeout:.0f}s: measured as it stood"


def _is_block_dir(path: Path) -> bool:
    """Block folders are named by UUID (leases and the tenant index live beside them)."""
    try:
        uuid.UUID(path.name)
    except ValueError:
        return False
    return path.is_dir()


def _block_puts(root: Path) -> int:
    """PUTs that wrote the blocks: one per object in every block folder, plus one per meta.json
    that marking a block compacted deleted (its meta.compacted.json is counted as an object)."""
    files = [f for d in (root / TENANT).iterdir() if _is_block_dir(d) for f in d.iterdir()]
    return len(files) + sum(1 for f in files if f.name == paths.COMPACTED_META)


def column_bytes(data_files: list[Path]) -> dict[str, int]:
    """Compressed bytes per top-level Parquet column, summed over every row group of every file."""
    out: dict[str, int] = {}
    for f in data_files:
        md = pq.ParquetFile(f).metadata
        for i in range(md.num_row_groups):
            rg = md.row_group(i)
            for j in range(rg.num_columns):
                col = rg.column(j)
                top = col.path_in_schema.split(".")[0]
                out[top] = out.get(top, 0) + col.total_compressed_size
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def _live_files(root: Path) -> tuple[list[Path], dict[str, int]]:
    """data.parquet files of live blocks, and bytes of live blocks by object kind."""
    kinds = {"data.parquet": 0, "bloom": 0, "meta.json": 0, "other": 0}
    data: list[Path] = []
    for meta in sorted((root / TENANT).glob("*/" + paths.META)):
        for f in meta.parent.iterdir():
            size = f.stat().st_size
            if f.name == paths.DATA:
                kinds["data.parquet"] += size
                data.append(f)
            elif f.name.startswith("bloom-"):
                kinds["bloom"] += size
            elif f.name == paths.META:
                kinds["meta.json"] += size
            else:
                kinds["other"] += size
    kinds["other"] += sum(f.stat().st_size for f in (root / TENANT).glob("*") if f.is_file())
    return data, kinds


def run_tempo(corpus: Corpus, workdir: Path, lookup_ids: list[bytes]) -> Result:
    """Ingest the corpus into a real server, compact, look traces up, measure the bytes."""
    workdir.mkdir(parents=True, exist_ok=True)
    server = TempoProcess(workdir)
    server.start()
    result = Result(name="tempo_py (Parquet blocks)", spans=corpus.spans)
    try:
        before = server.backend_requests()
        began = time.perf_counter()
        push_s = push_otlp(
            f"http://127.0.0.1:{server.otlp_port}/v1/traces", corpus.bodies(), corpus.spans, "tempo_py ingest"
        )
        status, body = http_request(server.url + "/flush", "POST", timeout=1800.0)
        if status not in (200, 204):
            raise RuntimeError(f"POST /flush: HTTP {status}: {body[:300]!r}")
        ingest_s = time.perf_counter() - began
        blocks_flushed = len(asyncio.run(_live_metas(LocalStore(server.blocks_dir))))
        compaction = _wait_compacted(server.blocks_dir)
        # Counted after compaction: its reads and writes are part of the cost of ingesting.
        after_ingest = server.backend_requests()
        time.sleep(3.0)  # a few blocklist polls: the querier now lists the compacted block

        def lookup(tid: bytes) -> None:
            code, payload = http_request(f"{server.url}/api/v2/traces/{tid.hex()}")
            if code != 200 or len(payload) < 100:
                raise RuntimeError(f"trace {tid.hex()}: HTTP {code}, {len(payload)} bytes")

        before_lookups = server.backend_requests()
        latencies = time_lookups(lookup, lookup_ids)
        after_lookups = server.backend_requests()
    except Exception:
        sys.stderr.write(f"tempo-py server log tail:\n{server.log.read_text(errors='replace')[-3000:]}\n")
        raise
    finally:
        server.stop()

    data_files, kinds = _live_files(server.blocks_dir)
    cols = column_bytes(data_files)
    a_ingest = _block_puts(server.blocks_dir)
    b_ingest = _delta(after_ingest, before, CLASS_B)
    n = max(len(lookup_ids), 1)
    result.stored_bytes = sum(kinds.values())
    result.ingest_spans_per_s = corpus.spans / ingest_s
    result.lookup_p50_ms = percentile(latencies, 50)
    result.lookup_p90_ms = percentile(latencies, 90)
    result.lookups = len(latencies)
    result.requests = Requests(
        class_a_per_span=a_ingest / corpus.spans,
        class_b_per_span=b_ingest / corpus.spans,
        class_b_per_query=_delta(after_lookups, before_lookups, CLASS_B) / n,
        basis="counted: PUTs = block objects written; GETs = the server's tempo_backend_requests_total "
        "during ingest + compaction and during lookups",
    )
    result.notes = [
        compaction,
        f"{blocks_flushed} block(s) flushed, {len(data_files)} live after compaction",
        "ingest = POST /v1/traces of every request + POST /flush, one server process on 2 cores",
        "lookup = GET /api/v2/traces/<id> over HTTP (JSON)",
        "WAL on local disk is not counted (emptied once blocks are flushed)",
        "PUTs = objects of every block written (flushed and compacted); LISTs and tenant-index/lease "
        "writes come per unit of time (~100k/month at default periods, ~$0.50) and are not priced",
    ]
    result.details = {
        "compaction": compaction,
        "push_seconds": push_s,
        "ingest_seconds": ingest_s,
        "objects_bytes": kinds,
        "column_bytes": cols,
        "column_bytes_per_span": {k: v / corpus.spans for k, v in cols.items()},
        "blocks_flushed": blocks_flushed,
        "blocks_live": len(data_files),
        "backend_requests_ingest": {k: after_ingest.get(k, 0.0) - before.get(k, 0.0) for k in after_ingest},
        "backend_requests_lookups": {
            k: after_lookups.get(k, 0.0) - before_lookups.get(k, 0.0) for k in after_lookups
        },
        "block_dir_bytes_total": dir_bytes(server.blocks_dir),
    }
    return result
