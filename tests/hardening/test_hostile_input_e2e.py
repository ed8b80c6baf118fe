"""Issue 17 defects 1, 2 and 8 against a real server process with every receiver on.

Defect 1: an 8-byte Jaeger Thrift HTTP body declaring ``list<VOID>`` of 2^31-1 elements kept the
event loop busy for minutes (``/ready`` timed out). Defect 2: the same list inside a binary
``emitBatch`` datagram stalled the UDP consumer, so later valid datagrams were not stored.
Defect 8: hostile bodies answered 500 (or gRPC UNKNOWN) where a 4xx belongs.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from thriftpy2.protocol import TBinaryProtocolFactory
from thriftpy2.transport import TMemoryBuffer

from tempo_py.distributor.receivers.jaeger.thrift_model import agent_thrift, jaeger_thrift
from tests.e2e_protocols.conftest import Ports, receiver_config
from tests.e2e_protocols.readback import read_trace
from tests.receivers.test_jaeger_udp import emit_batch_datagram
from tests.support.server import TempoServer, free_port, free_udp_port

_memory_buffer: Any = TMemoryBuffer
_binary_factory: Any = TBinaryProtocolFactory

HUGE_LIST = b"\x0f\x00\x63\x01\x7f\xff\xff\xff"  # field 99: list<VOID>, 2^31-1 elements
# Agent.emitBatch (binary, strict header, seqid 0) whose batch struct starts with HUGE_LIST.
HUGE_DATAGRAM = b"\x80\x01\x00\x04\x00\x00\x00\x09emitBatch\x00\x00\x00\x00\x0c\x00\x01" + HUGE_LIST


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TempoServer, Ports]]:
    ports = Ports(
        jaeger_compact=free_udp_port(),
        jaeger_binary=free_udp_port(),
        jaeger_http=free_port(),
        jaeger_grpc=free_port(),
        zipkin=free_port(),
        xray=free_udp_port(),
    )
    srv = TempoServer(
        tmp_path_factory.mktemp("hostile"), {"distributor": {"receivers": receiver_config(ports)}}
    )
    srv.start()
    try:
        yield srv, ports
    finally:
        srv.stop()


class ReadyPoller:
    """Polls ``/ready`` from a thread; any failure or a slow answer means the loop was blocked."""

    def __init__(self, url: str, max_s: float = 1.0) -> None:
        self.url = url + "/ready"
        self.max_s = max_s
        self.failures: list[str] = []
        self.polls = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            start = time.monotonic()
            try:
                with urllib.request.urlopen(self.url, timeout=max(2.0, 2 * self.max_s)) as r:
                    if r.status != 200:
                        self.failures.append(f"HTTP {r.status}")
            except (urllib.error.URLError, OSError) as exc:
                self.failures.append(repr(exc))
            elapsed = time.monotonic() - start
            if elapsed > self.max_s:
                self.failures.append(f"/ready took {elapsed:.1f} s")
            self.polls += 1
            self._stop.wait(0.05)

    def __enter__(self) -> ReadyPoller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def _batch(trace_low: int, name: str) -> Any:
    t = jaeger_thrift
    span = t.Span(
        traceIdLow=trace_low,
        traceIdHigh=0x1717171717171717,
        spanId=trace_low,
        parentSpanId=0,
        operationName=name,
        flags=1,
        startTime=int(time.time() * 1e6),
        duration=1500,
    )
    process = t.Process(serviceName="hostile-e2e")
    return agent_thrift.Agent.emitBatch_args.thrift_spec[1][2](process=process, spans=[span])


def _trace_id(trace_low: int) -> str:
    return "17" * 8 + f"{trace_low:016x}"


def _binary_body(batch: Any) -> bytes:
    buf: Any = _memory_buffer()
    _binary_factory().get_protocol(buf).write_struct(batch)
    return bytes(buf.getvalue())


def _post(url: str, body: bytes, content_type: str) -> tuple[int, float]:
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    start = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status = r.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status, time.monotonic() - start


def test_huge_thrift_list_over_http_is_400_and_server_stays_ready(server: tuple[TempoServer, Ports]) -> None:
    srv, ports = server
    url = f"http://127.0.0.1:{ports.jaeger_http}/api/traces"
    with ReadyPoller(srv.url) as poller:
        status, elapsed = _post(url, HUGE_LIST, "application/x-thrift")
        assert status == 400
        assert elapsed < 2.0, f"the 8-byte body took {elapsed:.2f} s"
        # A valid batch over the same receiver afterwards is stored.
        status, _ = _post(url, _binary_body(_batch(0x101, "after-huge-http")), "application/x-thrift")
        assert status == 202
        spans = read_trace(srv, _trace_id(0x101), min_spans=1)
        time.sleep(0.3)  # a few more polls after the last request
    assert [s.span.name for s in spans] == ["after-huge-http"]
    assert poller.polls > 0 and not poller.failures, poller.failures


def test_huge_thrift_list_over_udp_does_not_stall_the_consumer(server: tuple[TempoServer, Ports]) -> None:
    srv, ports = server
    with ReadyPoller(srv.url) as poller, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(HUGE_DATAGRAM, ("127.0.0.1", ports.jaeger_binary))
        sock.sendto(
            emit_batch_datagram(_batch(0x202, "after-huge-udp"), "binary"), ("127.0.0.1", ports.jaeger_binary)
        )
        # Before the fix the consumer was still looping over the first datagram after minutes.
        spans = read_trace(srv, _trace_id(0x202), min_spans=1, timeout=10)
    assert [s.span.name for s in spans] == ["after-huge-udp"]
    assert poller.polls > 0 and not poller.failures, poller.failures


def _deep_otlp_json(depth: int) -> bytes:
    value = '{"kvlistValue":{"values":[{"key":"k","value":' * depth + '{"stringValue":"x"}' + "}]}}" * depth
    attr = '{"key":"a","value":' + value + "}"
    return ('{"resourceSpans":[{"resource":{"attributes":[' + attr + "]}}]}").encode()


@pytest.mark.parametrize("depth", [60, 1000])
def test_deeply_nested_otlp_json_is_400(server: tuple[TempoServer, Ports], depth: int) -> None:
    srv, _ = server
    status, _ = _post(srv.otlp_http_url, _deep_otlp_json(depth), "application/json")
    assert status == 400


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_zipkin_non_finite_numbers_are_400(server: tuple[TempoServer, Ports], number: str) -> None:
    _, ports = server
    body = (
        '[{"traceId":"'
        + "ab" * 16
        + '","id":"'
        + "cd" * 8
        + '","name":"x","timestamp":'
        + number
        + ',"duration":1}]'
    ).encode()
    status, _ = _post(f"http://127.0.0.1:{ports.zipkin}/api/v2/spans", body, "application/json")
    assert status == 400


@pytest.mark.parametrize("query", ["start=inf", "start=nan", "end=-inf", "start=1e400"])
def test_trace_by_id_non_finite_time_is_400(server: tuple[TempoServer, Ports], query: str) -> None:
    srv, _ = server
    status, _, _ = srv.request("GET", f"/api/traces/{'ab' * 16}?{query}")
    assert status == 400


def test_otlp_grpc_garbage_is_invalid_argument(server: tuple[TempoServer, Ports]) -> None:
    srv, _ = server
    with grpc.insecure_channel(srv.otlp_grpc_target) as channel:
        export = channel.unary_unary(
            "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
            request_serializer=None,
            response_deserializer=None,
        )
        with pytest.raises(grpc.RpcError) as info:
            export(b"\xff\xff\xff\xff\x0f garbage", timeout=10)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
