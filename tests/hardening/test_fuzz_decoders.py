"""Property tests of every receiver decoder and of the TraceQL parser against hostile input.

Random bytes and mutated valid payloads must either decode or raise the receiver's DecodeError
(protobuf's own DecodeError for the OTLP protobuf parse, which the receivers map to 400 /
INVALID_ARGUMENT; TraceQLError for queries): any other exception would be a 500. Each decode must
also stay within CPU time proportional to its size (defects 1 and 2 of issue 17: eight bytes that
declared 2^31-1 thrift elements ran for minutes). The decoders are called exactly as the receivers
call them, including the conversion to OTLP.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from google.protobuf.message import DecodeError as ProtoDecodeError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span
from thriftpy2.protocol import TBinaryProtocolFactory
from thriftpy2.transport import TMemoryBuffer

from tempo_py.distributor.receivers.errors import DecodeError
from tempo_py.distributor.receivers.jaeger import api_v2, proto_mapping, thrift_mapping
from tempo_py.distributor.receivers.jaeger.thrift_model import decode_agent_datagram, decode_batch_binary
from tempo_py.distributor.receivers.otlp.json_decode import decode_otlp_json
from tempo_py.distributor.receivers.xray.segments import segment_to_otlp
from tempo_py.distributor.receivers.xray.udp import split_datagram
from tempo_py.distributor.receivers.zipkin.http import _decode as zipkin_decode
from tempo_py.distributor.receivers.zipkin.v1_json import decode_v1_json
from tempo_py.distributor.receivers.zipkin.v2_json import decode_v2_json
from tempo_py.distributor.receivers.zipkin.v2_proto import decode_v2_proto
from tempo_py.traceql.errors import TraceQLError
from tempo_py.traceql.parser import parse
from tests.receivers.test_jaeger_udp import emit_batch_datagram, sample_batch

_memory_buffer: Any = TMemoryBuffer
_binary_factory: Any = TBinaryProtocolFactory

# Modest budgets: the whole file must stay well under a minute on a shared 2-core CI runner.
FUZZ = settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


def cpu_bound_s(size: int) -> float:
    """Generous CPU budget for decoding ``size`` bytes: 50 ms + 50 µs per byte.

    Measured with ``time.thread_time``: the decoders run in the calling thread, and process CPU
    time would also count threads other tests left behind (gRPC, asyncio workers)."""
    return 0.05 + 50e-6 * size


def _otlp_proto(body: bytes) -> None:
    ExportTraceServiceRequest().ParseFromString(body)


def _jaeger_proto(body: bytes) -> None:
    # As jaeger/grpc_server.py: protobuf's errors become DecodeError before mapping.
    try:
        request = api_v2.PostSpansRequest.FromString(body)
    except (ProtoDecodeError, ValueError) as exc:
        raise DecodeError(str(exc)) from exc
    proto_mapping.batch_to_otlp(request.batch)


def _xray(body: bytes) -> None:
    # As xray/udp.py's decoder: header line, JSON, segment mapping.
    segment = split_datagram(body)
    try:
        doc = json.loads(segment)
    except (ValueError, RecursionError) as exc:
        raise DecodeError(str(exc)) from exc
    segment_to_otlp(doc)


def _thrift_binary_batch() -> bytes:
    buf: Any = _memory_buffer()
    _binary_factory().get_protocol(buf).write_struct(sample_batch())
    return bytes(buf.getvalue())


def _otlp_seed() -> bytes:
    span = Span(
        trace_id=b"\x01" * 16, span_id=b"\x02" * 8, name="op", start_time_unix_nano=1, end_time_unix_nano=2
    )
    req = ExportTraceServiceRequest(resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=[span])])])
    return bytes(req.SerializeToString())


_OTLP_JSON_SEED = json.dumps(
    {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}]},
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": "01" * 16,
                                "spanId": "02" * 8,
                                "name": "op",
                                "startTimeUnixNano": "1",
                                "endTimeUnixNano": "2",
                                "attributes": [
                                    {
                                        "key": "k",
                                        "value": {
                                            "kvlistValue": {
                                                "values": [{"key": "a", "value": {"intValue": "3"}}]
                                            }
                                        },
                                    }
                                ],
                            }
                        ]
                    }
                ],
            }
        ]
    }
).encode()
_ZIPKIN_V2_SEED = json.dumps(
    [
        {
            "traceId": "01" * 16,
            "id": "02" * 8,
            "name": "op",
            "kind": "SERVER",
            "timestamp": 1_700_000_000_000_000,
            "duration": 5,
            "localEndpoint": {"serviceName": "svc", "port": 80},
            "annotations": [{"timestamp": 1_700_000_000_000_001, "value": "ws"}],
            "tags": {"http.status_code": "500"},
        }
    ]
).encode()
_ZIPKIN_V1_SEED = json.dumps(
    [
        {
            "traceId": "01" * 8,
            "id": "02" * 8,
            "name": "op",
            "timestamp": 1_700_000_000_000_000,
            "duration": 5,
            "annotations": [
                {"timestamp": 1_700_000_000_000_000, "value": "sr", "endpoint": {"serviceName": "svc"}}
            ],
            "binaryAnnotations": [{"key": "k", "value": "v", "endpoint": {"serviceName": "svc"}}],
        }
    ]
).encode()
_XRAY_SEED = (
    b'{"format":"json","version":1}\n'
    + json.dumps(
        {
            "trace_id": "1-5f84c7a1-e6a3e4cbd6f7e2c7a8b9c0d1",
            "id": "70de5b6f19ff9a0a",
            "name": "svc",
            "start_time": 1_700_000_000.5,
            "end_time": 1_700_000_001.5,
            "http": {"request": {"method": "GET"}, "response": {"status": 200}},
        }
    ).encode()
)

Decoder = Callable[[bytes], object]
# name -> (decoder as the receiver runs it, a valid payload to mutate)
DECODERS: dict[str, tuple[Decoder, bytes]] = {
    "otlp_proto": (_otlp_proto, _otlp_seed()),
    "otlp_json": (decode_otlp_json, _OTLP_JSON_SEED),
    "jaeger_compact": (
        lambda b: thrift_mapping.batch_to_otlp(decode_agent_datagram(b, "compact")),
        emit_batch_datagram(sample_batch(), "compact"),
    ),
    "jaeger_binary": (
        lambda b: thrift_mapping.batch_to_otlp(decode_agent_datagram(b, "binary")),
        emit_batch_datagram(sample_batch(), "binary"),
    ),
    "jaeger_http": (lambda b: thrift_mapping.batch_to_otlp(decode_batch_binary(b)), _thrift_binary_batch()),
    "jaeger_proto": (_jaeger_proto, b""),  # seeded below: needs the dynamic message classes
    "zipkin_v1_json": (lambda b: zipkin_decode(decode_v1_json, b), _ZIPKIN_V1_SEED),
    "zipkin_v2_json": (lambda b: zipkin_decode(decode_v2_json, b), _ZIPKIN_V2_SEED),
    "zipkin_v2_proto": (lambda b: zipkin_decode(decode_v2_proto, b), b""),
    "xray": (_xray, _XRAY_SEED),
}


def _jaeger_proto_seed() -> bytes:
    batch = api_v2.Batch(
        spans=[api_v2.Span(trace_id=b"\x01" * 16, span_id=b"\x02" * 8, operation_name="op")],
        process=api_v2.Process(service_name="svc"),
    )
    return bytes(api_v2.PostSpansRequest(batch=batch).SerializeToString())


ALLOWED = (DecodeError, ProtoDecodeError)


def _check(name: str, body: bytes) -> None:
    decode = DECODERS[name][0]
    start = time.thread_time()
    with contextlib.suppress(*ALLOWED):
        decode(body)
    spent = time.thread_time() - start
    assert spent < cpu_bound_s(len(body)), f"{name}: {len(body)} bytes took {spent:.3f} s of CPU"


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` with a few bytes overwritten, inserted or cut, or truncated."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(("set", "insert", "delete", "truncate", "ff")))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "set" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete" and data:
            del data[pos : pos + draw(st.integers(1, 8))]
        elif op == "truncate":
            del data[pos:]
        elif op == "ff" and len(data) > pos + 4:
            data[pos : pos + 4] = b"\x7f\xff\xff\xff"  # the huge-length word of defect 1
    return bytes(data)


def _seed(name: str) -> bytes:
    if name == "jaeger_proto":
        return _jaeger_proto_seed()
    if name == "zipkin_v2_proto":
        return b""
    return DECODERS[name][1]


@pytest.mark.parametrize("name", sorted(DECODERS))
def test_seeds_decode(name: str) -> None:
    """The mutation seeds are valid payloads, so mutating them explores near-valid input."""
    seed = _seed(name)
    if seed:
        DECODERS[name][0](seed)


@pytest.mark.parametrize("name", sorted(DECODERS))
@FUZZ
@given(data=st.data())
def test_random_and_mutated_payloads(name: str, data: st.DataObject) -> None:
    seed = _seed(name)
    strategy = st.binary(max_size=2048) | mutated(seed) if seed else st.binary(max_size=2048)
    _check(name, data.draw(strategy))


@pytest.mark.parametrize("name", ["jaeger_compact", "jaeger_binary", "jaeger_http"])
def test_thrift_huge_container_is_rejected_fast(name: str) -> None:
    """Defects 1 and 2: a list<VOID> of 2^31-1 elements is refused at once."""
    huge_list = b"\x0f\x00\x63\x01\x7f\xff\xff\xff"
    if name == "jaeger_http":
        body = huge_list
    else:
        wire = name.removeprefix("jaeger_")
        if wire == "binary":
            body = b"\x80\x01\x00\x04\x00\x00\x00\x09emitBatch\x00\x00\x00\x00\x0c\x00\x01" + huge_list
        else:
            body = b"\x82\x81\x00\x09emitBatch\x1c\x19\xf1\xff\xff\xff\x07"
    start = time.thread_time()
    with pytest.raises(DecodeError):
        DECODERS[name][0](body)
    assert time.thread_time() - start < 0.05


_TRACEQL_SEEDS = [
    '{ resource.service.name = "svc" && span.http.status_code >= 500 } | count() > 2',
    '{ .a =~ "x.*" } >> { duration > 1s } | select(span.foo)',
    "{ } | rate() by (resource.service.name) with (sample=true)",
]


@FUZZ
@given(
    query=st.text(max_size=200)
    | st.sampled_from(_TRACEQL_SEEDS).flatmap(
        lambda q: st.tuples(st.integers(0, len(q)), st.integers(0, 5), st.text(max_size=5)).map(
            lambda t: q[: t[0]] + t[2] + q[t[0] + t[1] :]
        )
    )
)
def test_traceql_parser_only_raises_traceql_errors(query: str) -> None:
    start = time.thread_time()
    with contextlib.suppress(TraceQLError):
        parse(query)
    assert time.thread_time() - start < cpu_bound_s(len(query.encode()))
