"""Decode Tempo trace-by-ID responses (v1/v2, JSON/protobuf) back to OTLP, the way Grafana does."""

from __future__ import annotations

import json

from google.protobuf import json_format
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, TracesData


def _read_varint(data: bytes, i: int) -> tuple[int, int]:
    shift = n = 0
    while True:
        b = data[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def decode_v2_protobuf(body: bytes) -> tuple[list[ResourceSpans], int]:
    """tempopb.TraceByIDResponse -> (batches, status). Unknown fields are skipped, as protobuf does."""
    i = 0
    batches: list[ResourceSpans] = []
    status = 0
    while i < len(body):
        key, i = _read_varint(body, i)
        field, wire = key >> 3, key & 7
        if wire == 2:
            n, i = _read_varint(body, i)
            chunk = body[i : i + n]
            i += n
            if field == 1:
                td = TracesData()
                td.ParseFromString(chunk)
                batches = list(td.resource_spans)
        elif wire == 0:
            v, i = _read_varint(body, i)
            if field == 3:
                status = v
        else:
            raise ValueError(f"unexpected wire type {wire}")
    return batches, status


def decode_trace_response(body: bytes, *, version: int, protobuf: bool) -> list[ResourceSpans]:
    """The ResourceSpans of any trace-by-ID response."""
    if protobuf:
        if version == 1:
            td = TracesData()
            td.ParseFromString(body)
            return list(td.resource_spans)
        return decode_v2_protobuf(body)[0]
    doc = json.loads(body)
    items = doc["batches"] if version == 1 else doc["trace"].get("resourceSpans", [])
    out = []
    for item in items:
        rs = ResourceSpans()
        json_format.ParseDict(item, rs)
        out.append(rs)
    return out
