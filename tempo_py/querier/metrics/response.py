"""Tempo's answers to metrics queries: tempopb.QueryRangeResponse / QueryInstantResponse as
jsonpb JSON (camelCase names, 64-bit integers as strings, defaults left out) or as protobuf.

The protobuf is written field by field (the messages are small and fixed; tempopb's labels are
OTLP's ``common.v1.KeyValue``, serialised here with the OTLP classes):

    QueryRangeResponse   { repeated TimeSeries series = 1; SearchMetrics metrics = 2;
                           PartialStatus status = 3; string message = 4; }
    TimeSeries           { repeated KeyValue labels = 1; repeated Sample samples = 2;
                           repeated Exemplar exemplars = 4; }
    Sample               { double value = 1; int64 timestamp_ms = 2; }
    QueryInstantResponse { repeated InstantSeries series = 1; SearchMetrics metrics = 2;
                           PartialStatus status = 3; string message = 4; }
    InstantSeries        { repeated KeyValue labels = 1; double value = 2; }
    SearchMetrics        { uint32 inspectedTraces = 1; uint64 inspectedBytes = 2;
                           uint32 totalBlocks = 3; uint32 completedJobs = 4; uint32 totalJobs = 5;
                           uint64 totalBlockBytes = 6; uint64 inspectedSpans = 7; }
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from tempo_py.querier.metrics.request import MetricsRequest
from tempo_py.querier.metrics.series import Label, SeriesResult


@dataclass
class MetricsStats:
    """What a metrics query looked at (SearchMetrics)."""

    inspected_bytes: int = 0
    inspected_spans: int = 0
    total_blocks: int = 0
    total_block_bytes: int = 0
    jobs: int = 0


def partial_message(limit: int) -> str:
    """Tempo's message when the series limit cut the answer."""
    return (
        f"Response exceeds maximum series limit of {limit}, a partial response is returned. "
        "Warning: the accuracy of each individual value is not guaranteed."
    )


def _json_number(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _json_labels(labels: tuple[Label, ...]) -> list[dict[str, Any]]:
    out = []
    for key, (field, value) in labels:
        if field == "intValue":
            encoded: Any = str(value)
        elif field == "doubleValue":
            encoded = _json_number(value)
        else:
            encoded = value
        out.append({"key": key, "value": {field: encoded}})
    return out


def _json_metrics(stats: MetricsStats) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "inspectedBytes": str(stats.inspected_bytes),
        "totalBlocks": stats.total_blocks,
        "completedJobs": stats.jobs,
        "totalJobs": stats.jobs,
        "totalBlockBytes": str(stats.total_block_bytes),
        "inspectedSpans": str(stats.inspected_spans),
    }
    return {k: v for k, v in fields.items() if v not in (0, "0")}


def _status(result: SeriesResult, body: dict[str, Any]) -> None:
    if result.truncated:
        body["status"] = "PARTIAL"
        body["message"] = partial_message(result.limit)


def samples(values: np.ndarray[Any, Any], req: MetricsRequest) -> list[tuple[int, float]]:
    """(timestamp ms, value) of every interval with a value."""
    return [(req.timestamp_ms(int(i)), float(values[i])) for i in np.flatnonzero(~np.isnan(values))]


def range_json(result: SeriesResult, req: MetricsRequest, stats: MetricsStats) -> dict[str, Any]:
    """QueryRangeResponse as jsonpb."""
    series = []
    for s in result.series:
        entry: dict[str, Any] = {"labels": _json_labels(s.labels)}
        points = samples(s.values, req)
        if points:
            entry["samples"] = [{"timestampMs": str(ts), "value": _json_number(v)} for ts, v in points]
        series.append(entry)
    body: dict[str, Any] = {"series": series, "metrics": _json_metrics(stats)}
    _status(result, body)
    return body


def instant_json(result: SeriesResult, req: MetricsRequest, stats: MetricsStats) -> dict[str, Any]:
    """QueryInstantResponse as jsonpb: each series' one value."""
    series = []
    for s in result.series:
        points = samples(s.values, req)
        if points:
            series.append({"labels": _json_labels(s.labels), "value": _json_number(points[0][1])})
    body: dict[str, Any] = {"series": series, "metrics": _json_metrics(stats)}
    _status(result, body)
    return body


# ------------------------------------------------------------------------------------ protobuf


def _varint(n: int) -> bytes:
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _uint(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value) if value else b""


def _double(number: int, value: float) -> bytes:
    return (
        _varint(number << 3 | 1) + struct.pack("<d", value)
        if value != 0 or math.copysign(1, value) < 0
        else b""
    )


def _label_bytes(labels: tuple[Label, ...]) -> bytes:
    out = bytearray()
    for key, (field, value) in labels:
        any_value = AnyValue()
        match field:
            case "intValue":
                any_value.int_value = int(value)
            case "doubleValue":
                any_value.double_value = float(value)
            case "boolValue":
                any_value.bool_value = bool(value)
            case _:
                any_value.string_value = str(value)
        out += _field(1, KeyValue(key=key, value=any_value).SerializeToString())
    return bytes(out)


def _metrics_bytes(stats: MetricsStats) -> bytes:
    return (
        _uint(2, stats.inspected_bytes)
        + _uint(3, stats.total_blocks)
        + _uint(4, stats.jobs)
        + _uint(5, stats.jobs)
        + _uint(6, stats.total_block_bytes)
        + _uint(7, stats.inspected_spans)
    )


def _tail(result: SeriesResult, stats: MetricsStats) -> bytes:
    out = _field(2, _metrics_bytes(stats))
    if result.truncated:
        out += _uint(3, 1) + _field(4, partial_message(result.limit).encode())
    return out


def range_protobuf(result: SeriesResult, req: MetricsRequest, stats: MetricsStats) -> bytes:
    """QueryRangeResponse as protobuf."""
    out = bytearray()
    for s in result.series:
        body = bytearray(_label_bytes(s.labels))
        for ts, v in samples(s.values, req):
            body += _field(2, _double(1, v) + _uint(2, ts))
        out += _field(1, bytes(body))
    return bytes(out) + _tail(result, stats)


def instant_protobuf(result: SeriesResult, req: MetricsRequest, stats: MetricsStats) -> bytes:
    """QueryInstantResponse as protobuf."""
    out = bytearray()
    for s in result.series:
        points = samples(s.values, req)
        if points:
            out += _field(1, _label_bytes(s.labels) + _double(2, points[0][1]))
    return bytes(out) + _tail(result, stats)
