"""Ingest throughput of a running ``tempo-py serve``: acknowledged spans/s, CPU, RSS, time to blocks.

    python -m bench.ingest                       # 1M spans over OTLP/HTTP protobuf, ~1000 spans/request
    python -m bench.ingest --quick               # 50k spans (CI proves the script works)
    python -m bench.ingest --protocol otlp_grpc --spans 500000 --concurrency 8
    python -m bench.ingest --protocol jaeger_thrift_compact --spans 200000   # UDP: spans/s received
    python -m bench.ingest --protocol all --quick                            # every protocol in turn
    python -m bench.ingest --sizes 200000,1000000,3000000,10000000           # cost per span vs volume

The bench starts the server as its own process (default config plus every receiver on free ports,
data in a temp dir, durable WAL with fsync), pre-encodes deterministic requests
(bench/workload.py; other protocols re-encode the same spans with bench/ingest_encoders.py), and
sends them from a separate sender process so the sender's CPU is not the server's. It prints
acknowledged spans/s, the server's CPU seconds per million spans, its peak RSS (VmHWM, plus the
conversion workers'), and the time from the last acknowledgement until ``POST /flush`` returns
(everything in blocks). With ``--sizes`` each size gets a fresh server and its own workload, written
to a file the sender streams from (10M spans are ~3 GB of requests), and a table compares the sizes:
a backend that costs more per span as data accumulates shows it here. UDP protocols (Jaeger agent,
X-Ray daemon) have no acknowledgement: the
sender fires every datagram (``--udp-rate`` paces it), and the bench reports spans/s *received*,
i.e. made durable, from the server's ``tempo_distributor_spans_received_total`` counter, plus the
share lost (socket buffer overflow or a full receiver queue). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import queue
import socket
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from bench.ingest_encoders import encode
from bench.workload import (
    WorkloadConfig,
    generate_request_bytes,
    read_protobuf_requests,
    write_protobuf_requests,
)
from tests.support.server import TempoServer, free_port, free_udp_port

# protocol -> (transport, server config endpoint key, metrics protocol label)
PROTOCOLS: dict[str, tuple[str, str, str]] = {
    "otlp_http": ("http", "otlp.http", "otlp_http"),
    "otlp_grpc": ("grpc", "otlp.grpc", "otlp_grpc"),
    "jaeger_thrift_http": ("http", "jaeger.thrift_http", "jaeger_thrift_http"),
    "jaeger_grpc": ("grpc", "jaeger.grpc", "jaeger_grpc"),
    "zipkin_json": ("http", "zipkin", "zipkin_v2_json"),
    "jaeger_thrift_compact": ("udp", "jaeger.thrift_compact", "jaeger_thrift_compact"),
    "jaeger_thrift_binary": ("udp", "jaeger.thrift_binary", "jaeger_thrift_binary"),
    "xray": ("udp", "xray", "xray_udp"),
}
# How each HTTP/gRPC protocol is posted: (path or gRPC method, content type, success status).
_HTTP_ROUTES = {
    "otlp_http": ("/v1/traces", "application/x-protobuf", 200),
    "jaeger_thrift_http": ("/api/traces", "application/x-thrift", 202),
    "zipkin_json": ("/api/v2/spans", "application/json", 202),
}
_GRPC_METHODS = {
    "otlp_grpc": "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    "jaeger_grpc": "/jaeger.api_v2.CollectorService/PostSpans",
}


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


async def _send_http(
    url: str, bodies: Iterable[bytes], concurrency: int, content_type: str, ok_status: int
) -> tuple[int, int]:
    import aiohttp

    refused = sent = 0
    pending = iter(bodies)  # shared by the workers: next() never awaits, so each body goes out once
    async with aiohttp.ClientSession() as session:

        async def worker() -> None:
            nonlocal refused, sent
            for body in pending:
                sent += 1
                while True:
                    async with session.post(url, data=body, headers={"Content-Type": content_type}) as r:
                        await r.read()
                        if r.status == ok_status:
                            break
                        if r.status in (429, 503):  # back off as an exporter would, then retry
                            refused += 1
                            await asyncio.sleep(float(r.headers.get("Retry-After", "1")))
                            continue
                        raise RuntimeError(f"push failed: {r.status}")

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return sent, refused


async def _send_grpc(target: str, method: str, bodies: Iterable[bytes], concurrency: int) -> tuple[int, int]:
    import grpc

    refused = sent = 0
    pending = iter(bodies)
    async with grpc.aio.insecure_channel(target, options=[("grpc.max_send_message_length", 64 << 20)]) as ch:
        export = ch.unary_unary(
            method,
            request_serializer=lambda b: b,
            response_deserializer=lambda b: b,
        )

        async def worker() -> None:
            nonlocal refused, sent
            for body in pending:
                sent += 1
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
    return sent, refused


def _send_udp(port: int, datagrams: list[bytes], rate: float) -> tuple[int, int]:
    """Fire every datagram at 127.0.0.1:port, at most ``rate`` per second (0: no pacing)."""
    sent = failed = 0
    t0 = time.perf_counter()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for i, data in enumerate(datagrams):
            if rate > 0:
                ahead = t0 + i / rate - time.perf_counter()
                if ahead > 0:
                    time.sleep(ahead)  # pacing, not waiting for readiness: UDP has none to wait on
            try:
                sock.sendto(data, ("127.0.0.1", port))
                sent += 1
            except OSError:  # ENOBUFS: the local send buffer is full, as for a real agent
                failed += 1
    return sent, failed


def _bodies(source: list[bytes] | str) -> Iterator[bytes]:
    """The request bodies: a list, or streamed from a file written by ``write_protobuf_requests``."""
    return iter(source) if isinstance(source, list) else read_protobuf_requests(source)


def _sender(
    protocol: str,
    endpoint: str,
    source: list[bytes] | str,
    concurrency: int,
    udp_rate: float,
    out: multiprocessing.Queue[tuple[float, float, int, int]],
) -> None:
    wall0 = time.time()
    t0 = time.perf_counter()
    transport = PROTOCOLS[protocol][0]
    if transport == "http":
        _, ctype, ok = _HTTP_ROUTES[protocol]
        sent, refused = asyncio.run(_send_http(endpoint, _bodies(source), concurrency, ctype, ok))
    elif transport == "grpc":
        method = _GRPC_METHODS[protocol]
        sent, refused = asyncio.run(_send_grpc(endpoint, method, _bodies(source), concurrency))
    else:
        sent, refused = _send_udp(int(endpoint), list(_bodies(source)), udp_rate)
    out.put((wall0, time.perf_counter() - t0, sent, refused))


def _result(
    q: multiprocessing.Queue[tuple[float, float, int, int]], sender: Any
) -> tuple[float, float, int, int]:
    """The sender's figures; raises if it died without any (a push refused for good, say)."""
    while True:
        try:
            return q.get(timeout=1.0)
        except queue.Empty:
            if not sender.is_alive():
                raise RuntimeError(f"the sender process failed (exit code {sender.exitcode})") from None


def _durable_spans(url: str, label: str) -> float:
    """``tempo_distributor_spans_received_total`` for one protocol label, summed over tenants."""
    with urllib.request.urlopen(url + "/metrics", timeout=30) as r:
        text = r.read().decode()
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if (
                sample.name == "tempo_distributor_spans_received_total"
                and sample.labels.get("protocol") == label
            ):
                total += sample.value
    return total


def _wait_received(
    url: str, label: str, expected: int, sender: Any, quiet_s: float = 10.0
) -> tuple[float, float]:
    """Poll the counter until the sender is done and it stops growing (or reaches ``expected``).

    Returns (spans received, wall time of the last increase): UDP has no ack, so the server's own
    count is the only measure of what arrived, and its last change marks the end of the run.
    """
    last_value, last_change = 0.0, time.time()
    while True:
        value = _durable_spans(url, label)
        now = time.time()
        if value != last_value:
            last_value, last_change = value, now
        done_sending = not sender.is_alive()
        if done_sending and (value >= expected or now - last_change > quiet_s):
            return last_value, last_change
        time.sleep(0.1)


def _server_config(ports: dict[str, int]) -> dict[str, Any]:
    at = "127.0.0.1:{}".format
    return {
        "distributor": {
            "ingester_count": 1,
            "receivers": {
                "jaeger": {
                    "protocols": {
                        name: {"endpoint": at(ports[f"jaeger.{name}"])}
                        for name in ("thrift_compact", "thrift_binary", "thrift_http", "grpc")
                    }
                },
                "zipkin": {"endpoint": at(ports["zipkin"])},
                "xray": {"endpoint": at(ports["xray"])},
            },
        },
        "ingester": {"convert_workers": 1},
        "storage": {"trace": {"blocklist_poll": "5m"}},
    }


def workload(spans: int, spans_per_request: int) -> tuple[list[bytes], int]:
    """The OTLP requests of the deterministic workload and their span count."""
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
    return bodies, n_spans


def workload_file(path: Path, spans: int, spans_per_request: int) -> int:
    """Write the workload's OTLP requests to ``path`` for the sender to stream; returns the span count."""
    # The workload's traces start at 50/s (~1,700 spans/s of simulated time) from 30 min ago: at 10M
    # spans that runs hours into the future, which the distributor refuses. Start early enough that
    # the whole workload lies in the past (the same 30 min for sizes up to ~3M, as before).
    lookback_s = max(1800, int(spans / (WorkloadConfig().traces_per_second * 30)) + 300)
    start_ns = (int(time.time()) - lookback_s) * 1_000_000_000
    summary = write_protobuf_requests(
        path, spans, spans_per_request=spans_per_request, seed=42, start_time_ns=start_ns
    )
    print(
        f"workload: {summary.spans} spans in {summary.requests} requests, "
        f"{summary.bytes / summary.spans:.0f} B/span (written in {summary.seconds:.1f}s)"
    )
    return summary.spans


def run(
    protocol: str,
    otlp_bodies: list[bytes] | str,
    n_spans: int,
    concurrency: int,
    udp_rate: float = 0.0,
) -> dict[str, float]:
    """One measured run of ``protocol`` with the workload's spans (a list, or a file of OTLP requests
    the sender streams); returns the figures."""
    transport, endpoint_key, label = PROTOCOLS[protocol]
    bodies: list[bytes] | str
    if protocol.startswith("otlp_"):
        bodies = otlp_bodies
    else:
        t0 = time.perf_counter()
        bodies = encode(protocol, list(_bodies(otlp_bodies)))
        print(
            f"{protocol}: {len(bodies)} payloads, {sum(map(len, bodies)) / n_spans:.0f} B/span "
            f"(re-encoded in {time.perf_counter() - t0:.1f}s)"
        )
    ports = {
        key: (free_udp_port() if PROTOCOLS[p][0] == "udp" else free_port())
        for p, (_, key, _) in PROTOCOLS.items()
        if not key.startswith("otlp.")
    }
    with tempfile.TemporaryDirectory(prefix="tempo-py-ingest-") as tmp:
        srv = TempoServer(Path(tmp), _server_config(ports))
        srv.start()
        assert srv.proc is not None
        pid = srv.proc.pid
        try:
            cpu0, _ = server_stats(pid)
            if protocol == "otlp_http":
                endpoint = srv.otlp_http_url
            elif protocol == "otlp_grpc":
                endpoint = srv.otlp_grpc_target
            elif transport == "udp":
                endpoint = str(ports[endpoint_key])
            elif transport == "grpc":
                endpoint = f"127.0.0.1:{ports[endpoint_key]}"
            else:
                endpoint = f"http://127.0.0.1:{ports[endpoint_key]}{_HTTP_ROUTES[protocol][0]}"
            ctx = multiprocessing.get_context("spawn")
            q: multiprocessing.Queue[tuple[float, float, int, int]] = ctx.Queue()
            p = ctx.Process(target=_sender, args=(protocol, endpoint, bodies, concurrency, udp_rate, q))
            p.start()
            if transport == "udp":
                received, last_change = _wait_received(srv.url, label, n_spans, p)
            wall0, elapsed, sent, refused = _result(q, p)
            p.join()
            if transport == "udp":
                # Spans made durable per second, from the first datagram to the last arrival.
                elapsed = max(last_change - wall0, 1e-9)
            else:
                received = float(n_spans)
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
        "received": received,
        "requests": sent,
        "refused_429": refused,
        "seconds": elapsed,
        "acked_spans_per_s": received / elapsed,
        "cpu_s_per_million_spans_ack": (cpu1 - cpu0) / max(received, 1) * 1e6,
        "cpu_s_per_million_spans_total": (cpu2 - cpu0) / max(received, 1) * 1e6,
        "peak_rss_mib": max(rss, rss2) / 2**20,
        "seconds_to_blocks_after_last_ack": to_blocks,
        "blocks": len(blocks),
    }


def _describe(proto: str, r: dict[str, float]) -> str:
    if PROTOCOLS[proto][0] == "udp":
        lost = 1 - r["received"] / r["spans"]
        what = (
            f"{r['acked_spans_per_s']:,.0f} spans/s received ({r['received']:.0f} of {r['spans']:.0f} spans "
            f"durable, {lost:.1%} lost, {r['requests']:.0f} datagrams, {r['refused_429']:.0f} send errors, "
            f"{r['seconds']:.1f}s)"
        )
    else:
        what = (
            f"{r['acked_spans_per_s']:,.0f} spans/s acknowledged ({r['spans']:.0f} spans, "
            f"{r['requests']:.0f} requests, {r['refused_429']:.0f} answered 429, {r['seconds']:.1f}s)"
        )
    return (
        f"{proto}: {what}; "
        f"CPU {r['cpu_s_per_million_spans_ack']:.1f} s/M spans to ack, "
        f"{r['cpu_s_per_million_spans_total']:.1f} s/M spans incl. blocks; "
        f"peak RSS {r['peak_rss_mib']:.0f} MiB (server + workers); "
        f"in blocks {r['seconds_to_blocks_after_last_ack']:.1f}s after the last ack "
        f"({r['blocks']:.0f} blocks)"
    )


def _sizes_table(proto: str, results: list[dict[str, float]]) -> str:
    first = results[0]["cpu_s_per_million_spans_ack"]
    lines = [
        f"{proto} by volume (CPU s/M to ack relative to the smallest size):",
        f"  {'spans':>11} {'acked/s':>9} {'429s':>5} {'CPU s/M ack':>11} {'x':>5} {'incl. blocks':>12} "
        f"{'peak RSS':>9} {'to blocks':>9}",
    ]
    for r in results:
        lines.append(
            f"  {r['spans']:>11,.0f} {r['acked_spans_per_s']:>9,.0f} {r['refused_429']:>5.0f} "
            f"{r['cpu_s_per_million_spans_ack']:>11.1f} {r['cpu_s_per_million_spans_ack'] / first:>5.2f} "
            f"{r['cpu_s_per_million_spans_total']:>12.1f} {r['peak_rss_mib']:>6.0f} MiB "
            f"{r['seconds_to_blocks_after_last_ack']:>8.1f}s"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the bench for the chosen protocols and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spans", type=int, default=1_000_000)
    ap.add_argument(
        "--sizes",
        type=lambda v: [int(x) for x in v.split(",")],
        help="comma-separated span counts, each run on a fresh server (e.g. 200000,1000000,3000000)",
    )
    ap.add_argument("--protocol", choices=[*PROTOCOLS, "all"], default="otlp_http")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--spans-per-request", type=int, default=1000)
    ap.add_argument("--udp-rate", type=float, default=0.0, help="UDP datagrams/s (0: as fast as possible)")
    ap.add_argument("--quick", action="store_true", help="50k spans")
    args = ap.parse_args(argv)
    if args.quick:
        args.spans = 50_000
    protocols = list(PROTOCOLS) if args.protocol == "all" else [args.protocol]
    if args.sizes:
        for proto in protocols:
            results = []
            for size in args.sizes:
                with tempfile.TemporaryDirectory(prefix="tempo-py-workload-") as tmp:
                    path = Path(tmp) / "requests.pb"
                    n_spans = workload_file(path, size, args.spans_per_request)
                    r = run(proto, str(path), n_spans, args.concurrency, args.udp_rate)
                print(_describe(proto, r), flush=True)
                results.append(r)
            print(_sizes_table(proto, results))
        return 0
    bodies, n_spans = workload(args.spans, args.spans_per_request)
    summary: list[str] = []
    for proto in protocols:
        r = run(proto, bodies, n_spans, args.concurrency, args.udp_rate)
        summary.append(f"  {proto:<22} {r['acked_spans_per_s']:>10,.0f} spans/s")
        print(_describe(proto, r))
    if len(summary) > 1:
        print("spans/s per protocol (UDP: received and durable):\n" + "\n".join(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
