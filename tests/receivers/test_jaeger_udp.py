"""Jaeger agent UDP receiver driven by the real jaeger-client and hand-built thrift datagrams."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from thriftpy2.protocol import TBinaryProtocolFactory, TCompactProtocolFactory
from thriftpy2.thrift import TClient
from thriftpy2.transport import TMemoryBuffer

from tempo_py.distributor.receivers.errors_metrics import dropped_count
from tempo_py.distributor.receivers.jaeger.thrift_model import agent_thrift, jaeger_thrift
from tempo_py.distributor.receivers.jaeger.udp import start_jaeger_udp

from .recording import Recorder, attrs

# thriftpy2 is untyped: bind its constructors as Any once.
_memory_buffer: Any = TMemoryBuffer
_compact_factory: Any = TCompactProtocolFactory
_binary_factory: Any = TBinaryProtocolFactory
CLIENT = Path(__file__).with_name("clients") / "jaeger_client_emit.py"


def emit_batch_datagram(batch: Any, wire: str) -> bytes:
    """One Agent.emitBatch oneway call, encoded exactly as a thrift client sends it."""
    buf: Any = _memory_buffer()
    factory: Any = (_compact_factory if wire == "compact" else _binary_factory)()
    client = TClient(agent_thrift.Agent, factory.get_protocol(buf))
    client._send("emitBatch", batch=batch)  # the oneway send without waiting for a reply
    return bytes(buf.getvalue())


def sample_batch(span_id: int = -2, name: str = "op") -> Any:
    t = jaeger_thrift
    span = t.Span(
        traceIdLow=-1,
        traceIdHigh=0x0102030405060708,
        spanId=span_id,
        parentSpanId=0,
        operationName=name,
        flags=1,
        startTime=1_700_000_000_123_456,
        duration=1500,
        tags=[t.Tag(key="span.kind", vType=t.TagType.STRING, vStr="producer")],
    )
    process = t.Process(serviceName="thrift-svc", tags=[t.Tag(key="hostname", vType=0, vStr="h1")])
    return agent_thrift.Agent.emitBatch_args.thrift_spec[1][2](process=process, spans=[span])


def send_udp(port: int, data: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(data, ("127.0.0.1", port))


async def test_jaeger_client_compact_end_to_end(recorder: Recorder) -> None:
    server = await start_jaeger_udp("127.0.0.1", 0, recorder, protocol="compact", tenant="t1")
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(CLIENT),
            str(server.port),
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        out, _ = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0
        expected = json.loads(out)
        await recorder.wait_spans(3)
    finally:
        await server.close()
    assert {c[0] for c in recorder.calls} == {"t1"}
    assert {c[2] for c in recorder.calls} == {"jaeger_thrift_compact"}
    spans = recorder.by_name()
    root_res, root = spans["root-op"]
    res = attrs(root_res.attributes)
    assert res["service.name"] == "jaeger-py-svc"
    assert res["deployment"] == "test"
    assert str(res["opencensus.exporterversion"]).startswith("Jaeger-Python-")
    assert "host.name" in res and "hostname" not in res
    for name, exp in expected.items():
        span = spans[name][1]
        assert span.trace_id.hex() == exp["trace_id"]  # 128-bit id survives
        assert span.span_id.hex() == exp["span_id"]
        assert span.start_time_unix_nano == exp["start_us"] * 1000
        assert span.end_time_unix_nano == exp["end_us"] * 1000
        assert [e.time_unix_nano for e in span.events] == [t * 1000 for t in exp["log_us"]]
    assert root.kind == Span.SPAN_KIND_SERVER
    assert root.parent_span_id == b""
    a = attrs(root.attributes)
    assert a["str.tag"] == "v" and a["bool.tag"] is True and a["int.tag"] == 42 and a["float.tag"] == 2.5
    assert a["http.status_code"] == 200 and "span.kind" not in a
    assert root.status.code == Status.STATUS_CODE_UNSET
    assert root.events[0].name == "cache-miss"
    assert attrs(root.events[0].attributes) == {"key": "user:1"}
    child = spans["child-op"][1]
    assert child.parent_span_id == root.span_id
    assert child.kind == Span.SPAN_KIND_CLIENT
    assert child.status.code == Status.STATUS_CODE_ERROR
    assert "error" not in attrs(child.attributes)
    assert child.events[0].name == "" and attrs(child.events[0].attributes) == {"message": "no event field"}
    follower = spans["follower-op"][1]
    # No parentSpanId, only a FOLLOWS_FROM reference: it becomes the parent and stays a link.
    assert follower.parent_span_id == root.span_id
    assert [(lk.span_id, attrs(lk.attributes)) for lk in follower.links] == [
        (root.span_id, {"opentracing.ref_type": "follows_from"})
    ]


@pytest.mark.parametrize("wire", ["compact", "binary"])
async def test_thrift_datagram_both_protocols(recorder: Recorder, wire: str) -> None:
    server = await start_jaeger_udp("127.0.0.1", 0, recorder, protocol=wire)  # type: ignore[arg-type]
    try:
        send_udp(server.port, emit_batch_datagram(sample_batch(), wire))
        await recorder.wait_spans(1)
    finally:
        await server.close()
    res, span = recorder.spans()[0]
    assert recorder.calls[0][0] == "single-tenant"
    assert span.trace_id.hex() == "0102030405060708ffffffffffffffff"
    assert span.span_id.hex() == "fffffffffffffffe"
    assert span.kind == Span.SPAN_KIND_PRODUCER
    assert span.start_time_unix_nano == 1_700_000_000_123_456_000
    assert span.end_time_unix_nano == 1_700_000_000_124_956_000
    assert attrs(res.attributes) == {"service.name": "thrift-svc", "host.name": "h1"}


@pytest.mark.parametrize("wire", ["compact", "binary"])
async def test_garbage_datagrams_are_counted_and_receiver_survives(recorder: Recorder, wire: str) -> None:
    label = f"jaeger_thrift_{wire}"
    server = await start_jaeger_udp("127.0.0.1", 0, recorder, protocol=wire)  # type: ignore[arg-type]
    good = emit_batch_datagram(sample_batch(), wire)
    before_decode = dropped_count(label, "decode_error")
    before_large = dropped_count(label, "too_large")
    try:
        send_udp(server.port, os.urandom(512))
        send_udp(server.port, good[: len(good) // 2])
        send_udp(server.port, b"\x82\x21\x01\x09emitBatch" + b"\x1c\xff\xff\xff\xff\x0f")  # absurd list size
        send_udp(server.port, b"x" * 65_001)
        send_udp(server.port, good)
        await recorder.wait_spans(1)
        await server.drain()
    finally:
        await server.close()
    assert len(recorder.spans()) == 1
    assert dropped_count(label, "decode_error") - before_decode == 3
    assert dropped_count(label, "too_large") - before_large == 1


async def test_span_without_ids_is_dropped_as_invalid(recorder: Recorder) -> None:
    server = await start_jaeger_udp("127.0.0.1", 0, recorder)
    batch = sample_batch(span_id=0)
    before = dropped_count("jaeger_thrift_compact", "invalid_span")
    try:
        send_udp(server.port, emit_batch_datagram(batch, "compact"))
        send_udp(server.port, emit_batch_datagram(sample_batch(), "compact"))
        await recorder.wait_spans(1)
    finally:
        await server.close()
    assert dropped_count("jaeger_thrift_compact", "invalid_span") - before == 1
