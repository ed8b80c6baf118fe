"""Unit tests pinning the tricky Jaeger → OTLP rules (IDs, parents, status, tags)."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from tempo_py.distributor.receivers.attrs import AttrValue
from tempo_py.distributor.receivers.errors import DecodeError
from tempo_py.distributor.receivers.jaeger import api_v2
from tempo_py.distributor.receivers.jaeger.common import pop_status, span_id_bytes, trace_id_bytes
from tempo_py.distributor.receivers.jaeger.proto_mapping import batch_to_otlp as proto_batch_to_otlp
from tempo_py.distributor.receivers.jaeger.thrift_mapping import span_to_otlp
from tempo_py.distributor.receivers.jaeger.thrift_model import jaeger_thrift as jt

from .recording import attrs


def test_signed_i64_ids_become_unsigned_big_endian() -> None:
    assert trace_id_bytes(0, 1).hex() == "00000000000000000000000000000001"  # 64-bit id left-padded
    assert trace_id_bytes(-1, -2).hex() == "fffffffffffffffffffffffffffffffe"
    assert trace_id_bytes(-(2**63), 2**63 - 1).hex() == "80000000000000007fffffffffffffff"
    assert span_id_bytes(-1).hex() == "ffffffffffffffff"
    assert span_id_bytes(255).hex() == "00000000000000ff"


def _span(**kw: Any) -> Any:
    base: dict[str, Any] = dict(
        traceIdLow=7,
        traceIdHigh=0,
        spanId=9,
        parentSpanId=0,
        operationName="x",
        flags=1,
        startTime=10,
        duration=5,
    )
    base.update(kw)
    return jt.Span(**base)


def _ref(kind: int, span_id: int, low: int = 7) -> Any:
    return jt.SpanRef(refType=kind, traceIdLow=low, traceIdHigh=0, spanId=span_id)


def test_parent_prefers_parent_span_id_then_child_of_then_follows_from() -> None:
    _, s = span_to_otlp(_span(parentSpanId=3, references=[_ref(0, 4)]))
    assert s.parent_span_id == span_id_bytes(3)
    assert [lk.span_id for lk in s.links] == [span_id_bytes(4)]
    _, s = span_to_otlp(_span(references=[_ref(1, 5), _ref(0, 4)]))
    assert s.parent_span_id == span_id_bytes(4)
    assert [lk.span_id for lk in s.links] == [span_id_bytes(5)]  # the parent CHILD_OF is not a link
    _, s = span_to_otlp(_span(references=[_ref(0, 6, low=99), _ref(1, 5)]))
    assert s.parent_span_id == span_id_bytes(5)  # other-trace refs never become the parent
    assert {lk.span_id for lk in s.links} == {span_id_bytes(6), span_id_bytes(5)}
    assert s.links[0].trace_id == trace_id_bytes(0, 99)


@pytest.mark.parametrize(
    ("tags", "kind", "code", "message", "left"),
    [
        ({"error": True, "otel.status_code": "OK"}, Span.SPAN_KIND_SERVER, Status.STATUS_CODE_ERROR, "", {}),
        ({"error": False}, Span.SPAN_KIND_SERVER, None, "", {"error": False}),
        ({"error": "true"}, Span.SPAN_KIND_SERVER, None, "", {"error": "true"}),  # only a bool counts
        (
            {"otel.status_code": "ERROR", "otel.status_description": "boom"},
            0,
            Status.STATUS_CODE_ERROR,
            "boom",
            {},
        ),
        ({"otel.status_code": "ok"}, 0, Status.STATUS_CODE_OK, "", {}),
        (
            {"http.status_code": 503},
            Span.SPAN_KIND_SERVER,
            Status.STATUS_CODE_ERROR,
            "",
            {"http.status_code": 503},
        ),
        ({"http.status_code": "404"}, Span.SPAN_KIND_SERVER, None, "", {"http.status_code": "404"}),
        (
            {"http.status_code": 404, "http.status_message": "nf"},
            Span.SPAN_KIND_CLIENT,
            Status.STATUS_CODE_ERROR,
            "nf",
            {"http.status_code": 404, "http.status_message": "nf"},
        ),
        ({"http.status_code": 200}, Span.SPAN_KIND_CLIENT, None, "", {"http.status_code": 200}),
    ],
)
def test_status_rules(
    tags: dict[str, AttrValue], kind: int, code: int | None, message: str, left: dict[str, AttrValue]
) -> None:
    status = pop_status(tags, kind)  # type: ignore[arg-type]
    if code is None:
        assert status is None
    else:
        assert status is not None and status.code == code and status.message == message
    assert tags == left


def test_tag_types_kind_tracestate_and_scope() -> None:
    tags = [
        jt.Tag(key="s", vType=0, vStr="x"),
        jt.Tag(key="d", vType=1, vDouble=1.25),
        jt.Tag(key="b", vType=2, vBool=False),
        jt.Tag(key="l", vType=3, vLong=-3),
        jt.Tag(key="bin", vType=4, vBinary=b"\x00\x01"),
        jt.Tag(key="span.kind", vType=0, vStr="consumer"),
        jt.Tag(key="w3c.tracestate", vType=0, vStr="k=v"),
        jt.Tag(key="otel.scope.name", vType=0, vStr="lib"),
    ]
    scope, s = span_to_otlp(_span(tags=tags, flags=3))
    assert attrs(s.attributes) == {"s": "x", "d": 1.25, "b": False, "l": -3, "bin": b"\x00\x01"}
    assert s.kind == Span.SPAN_KIND_CONSUMER and s.trace_state == "k=v" and scope.name == "lib"
    assert s.flags == 1  # sampled bit only
    assert (s.start_time_unix_nano, s.end_time_unix_nano) == (10_000, 15_000)


def test_missing_ids_are_invalid() -> None:
    with pytest.raises(DecodeError) as info:
        span_to_otlp(_span(traceIdLow=0))
    assert info.value.reason == "invalid_span"


def test_proto_batch_regroups_spans_by_process() -> None:
    batch = api_v2.Batch(process=api_v2.Process(service_name="a"))
    for i, own in enumerate([None, "b", None]):
        span = batch.spans.add(
            trace_id=bytes(15) + b"\x01", span_id=bytes(7) + bytes([i + 1]), operation_name=f"op{i}"
        )
        span.start_time.seconds, span.start_time.nanos = 1_700_000_000, 5_000
        span.duration.nanos = 2_000
        if own:
            span.process.service_name = own
    req = proto_batch_to_otlp(batch)
    services = {
        attrs(rs.resource.attributes)["service.name"]: [s.name for ss in rs.scope_spans for s in ss.spans]
        for rs in req.resource_spans
    }
    assert services == {"a": ["op0", "op2"], "b": ["op1"]}
    first = req.resource_spans[0].scope_spans[0].spans[0]
    assert first.start_time_unix_nano == 1_700_000_000_000_005_000
    assert first.end_time_unix_nano == 1_700_000_000_000_007_000
