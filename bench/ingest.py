"""Ingest throughput of a running ``tempo-py serve``: acknowledged spans/s, CPU, RSS, time to blocks.

    python -m bench.ingest                       # 1M spans over OTLP/HTTP protobuf, ~1000 spans/request
    python -m bench.ingest --quick               # 50k spans (CI proves the script works)
    python -m bench.ingest --protocol otlp_grpc --spans 500000 --concurrency 8

The bench starts the server as its own process (default config, data in a temp dir, durable WAL
with fsync), pre-encodes deterministic requests (bench/workload.py), and sends them from a
separate sender process so the sender's CPU is not the server's. It prints acknowledged spans/s,
the server's CPU seconds per million spans, its peak RSS (VmHWM, plus the conversion workers'),
and the time from the last acknowledgement until ``POST /flush`` returns (everything in blocks).
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.workload import generate_request_bytes
from tempo_py.testing.server import TempoServer

PROTOCOLS = ("otlp_http", "otlp_grpc")


def _proc_stats(pid: int) -> tuple[float, int]:
    """(CPU seconds user+system, peak RSS bytes) of one process from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    hwm = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) * 1024
    return cpu, hwm


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def server_stats(pid: int) -> tuple[float, int]:
    """CPU seconds and summed peak RSS of the server and its worker processes."""
    cpu, rss = _proc_stats(pid)
    for child in _children(pid):
        try:
            c, r = _proc_stats(child)
        except OSError:
            continue
        cpu += c
        rss += r
    return cpu, rss


async def _send_http(url: str, bodies: list[bytes], concurrency: int) -> tuple[int, int]:
    import aiohttp

    refused = 0
    queue = list(reversed(bodies))
    async with aiohttp.ClientSession() as session:

        async def worker() -> None:
            nonlocal refused
            while queue:
                body = queue.pop()
                while True:
                    async with session.post(
                        url, data=body, headers={"Content-Type": "application/x-protobuf"}
                    ) as r:
                        await r.read()
                        if r.status == 200:
                            break
                        if r.status in (429, 503):  # back off as an exporter would, then retry
                            refused += 1
                            await asyncio.sleep(float(r.headers.get("Retry-After", "1")))
                            continue
                        raise RuntimeError(f"push failed: {r.status}")

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(bodies), refused


async def _send_grpc(target: str, bodies: list[bytes], concurrency: int) -> tuple[int, int]:
    import grpc

    refused = 0
    queue = list(reversed(bodies))
    async with grpc.aio.insecure_channel(target, options=[("grpc.max_send_message_length", 64 << 20)]) as ch:
        export = ch.unary_unary(
            "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
            request_serializer=lambda b: b,
            response_deserializer=lambda b: b,
        )

        async def worker() -> None:
            nonlocal refused
            while queue:
                body = queue.pop()
                while True:
                    try:
                        await export(body, timeout=60)
                        break
                    except grpc.aio.AioRpcError as e:
                        if e.code() in (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAVAILABLE):
                            refused += 1
                            await asyncio.sleep(1)
                            continue
                        raise

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(bodies), refused


def _sender(
    protocol: str,
    endpoint: str,
    bodies: list[bytes],
    concurrency: int,
    out: multiprocessing.Queue[tuple[float, int, int]],
) -> None:
    t0 = time.perf_counter()
    if protocol == "otlp_http":
        sent, refused = asyncio.run(_send_http(endpoint, bodies, concurrency))
    else:
        sent, refused = asyncio.run(_send_grpc(endpoint, bodies, concurrency))
    out.put((time.perf_counter() - t0, sent, refused))


def run(protocol: str, spans: int, concurrency: int, spans_per_request: int) -> dict[str, float]:
    """One measured run; returns the figures."""
    t0 = time.perf_counter()
    bodies = list(generate_request_bytes(spans, spans_per_request=spans_per_request, seed=42))
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    n_spans = 0
    for b in bodies:
        req = ExportTraceServiceRequest.FromString(b)
        n_spans += sum(len(ss.spans) for rs in req.resource_spans for ss in rs.scope_spans)
    print(
        f"workload: {n_spans} spans in {len(bodies)} requests, {sum(map(len, bodies)) / n_spans:.0f} B/span "
        f"(encoded in {time.perf_counter() - t0:.1f}s)"
    )
    with tempfile.TemporaryDirectory(prefix="tempo-py-ingest-") as tmp:
        srv = TempoServer(
            Path(tmp),
            {
                "distributor": {"ingester_count": 1},
                "ingester": {"convert_workers": 1, "flush_check_period": "10s"},
                "storage": {"trace": {"blocklist_poll": "5m"}},
            },
        )
        srv.start()
        assert srv.proc is not None
        pid = srv.proc.pid
        try:
            cpu0, _ = server_stats(pid)
            endpoint = srv.otlp_http_url if protocol == "otlp_http" else srv.otlp_grpc_target
            q: multiprocessing.Queue[tuple[float, int, int]] = multiprocessing.get_context("spawn").Queue()
            p = multiprocessing.get_context("spawn").Process(
                target=_sender, args=(protocol, endpoint, bodies, concurrency, q)
            )
            p.start()
            elapsed, sent, refused = q.get()
            p.join()
            cpu1, rss = server_stats(pid)
            t1 = time.perf_counter()
            req = urllib.request.Request(srv.url + "/flush", method="POST")
            with urllib.request.urlopen(req, timeout=3600) as r:
                r.read()
            to_blocks = time.perf_counter() - t1
            cpu2, rss2 = server_stats(pid)
            blocks = list((Path(tmp) / "blocks").rglob("meta.json"))
        finally:
            srv.stop()
    return {
        "spans": n_spans,
        "requests": sent,
        "refused_429": refused,
        "seconds": elapsed,
        "acked_spans_per_s": n_spans / elapsed,
        "cpu_s_per_million_spans_ack": (cpu1 - cpu0) / n_spans * 1e6,
        "cpu_s_per_million_spans_total": (cpu2 - cpu0) / n_spans * 1e6,
        "peak_rss_mib": max(rss, rss2) / 2**20,
        "seconds_to_blocks_after_last_ack": to_blocks,
        "blocks": len(blocks),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the bench for the chosen protocols and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spans", type=int, default=1_000_000)
    ap.add_argument("--protocol", choices=[*PROTOCOLS, "all"], default="otlp_http")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--spans-per-request", type=int, default=1000)
    ap.add_argument("--quick", action="store_true", help="50k spans")
    args = ap.parse_args(argv)
    if args.quick:
        args.spans = 50_000
    protocols = PROTOCOLS if args.protocol == "all" else (args.protocol,)
    for proto in protocols:
        r = run(proto, args.spans, args.concurrency, args.spans_per_request)
        print(
            f"{proto}: {r['acked_spans_per_s']:,.0f} spans/s acknowledged ({r['spans']} spans, "
            f"{r['requests']} requests, {r['refused_429']} answered 429, {r['seconds']:.1f}s); "
            f"CPU {r['cpu_s_per_million_spans_ack']:.1f} s/M spans to ack, "
            f"{r['cpu_s_per_million_spans_total']:.1f} s/M spans incl. blocks; "
            f"peak RSS {r['peak_rss_mib']:.0f} MiB (server + workers); "
            f"in blocks {r['seconds_to_blocks_after_last_ack']:.1f}s after the last ack "
            f"({r['blocks']} blocks)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
