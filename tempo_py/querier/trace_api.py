"""Tempo's trace-by-ID HTTP API: ``/api/traces/<id>`` (v1) and ``/api/v2/traces/<id>`` (v2).

JSON uses protobuf's canonical JSON mapping as Tempo does (camelCase, base64 IDs, enum names,
int64 as strings): v1 ``{"batches": [ResourceSpans...]}``, v2 ``{"trace": {"resourceSpans": [...]},
"status": "COMPLETE"}``. With ``Accept: application/protobuf`` v1 answers a tempopb.Trace and v2 a
tempopb.TraceByIDResponse; tempopb.Trace is wire-identical to OTLP TracesData (field 1).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web
from google.protobuf import json_format
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, TracesData

from tempo_py.metrics import QUERY_SECONDS
from tempo_py.model.arrow_to_otlp import table_to_resource_spans
from tempo_py.model.ids import InvalidTraceID, parse_trace_id
from tempo_py.querier.querier import Querier

PROTOBUF_TYPES = ("application/protobuf", "application/x-protobuf")


def wants_protobuf(request: web.Request) -> bool:
    """Whether the client asked for protobuf."""
    accept = request.headers.get("Accept", "")
    return any(t in accept for t in PROTOBUF_TYPES)


def parse_time_range(query: Mapping[str, str]) -> tuple[int | None, int | None]:
    """``start``/``end`` as Unix seconds -> nanoseconds (None when absent). Raises ValueError."""
    out: list[int | None] = []
    for name in ("start", "end"):
        raw = query.get(name)
        if raw in (None, ""):
            out.append(None)
            continue
        try:
            seconds = float(raw)
        except ValueError as e:
            raise ValueError(f"invalid {name}: {raw!r} is not Unix seconds") from e
        # int(inf) raises OverflowError and int(nan) ValueError: both are bad input, not a 500.
        if not math.isfinite(seconds):
            raise ValueError(f"invalid {name}: {raw!r} is not a finite number of Unix seconds")
        out.append(int(seconds) * 10**9)
    start, end = out
    if start is not None and end is not None and end < start:
        raise ValueError("invalid time range: end is before start")
    return start, end


def resource_spans_json(batches: list[ResourceSpans]) -> list[dict[str, Any]]:
    """ResourceSpans in protobuf canonical JSON."""
    return [json_format.MessageToDict(rs) for rs in batches]


def encode_trace_v2_protobuf(batches: list[ResourceSpans], status: int = 0, message: str = "") -> bytes:
    """tempopb.TraceByIDResponse{trace=1, status=3, message=4} built from OTLP messages."""
    trace = TracesData(resource_spans=batches).SerializeToString()
    out = bytearray()
    out += b"\x0a" + _varint(len(trace)) + trace
    if status:
        out += b"\x18" + _varint(status)
    if message:
        m = message.encode()
        out += b"\x22" + _varint(len(m)) + m
    return bytes(out)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _error(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text + "\n", content_type="text/plain")


def trace_routes(querier: Querier, tenant_of: Callable[[Mapping[str, str]], str]) -> list[web.RouteDef]:
    """Routes for both API versions."""

    async def lookup(request: web.Request) -> tuple[list[ResourceSpans], web.Response | None]:
        try:
            tenant = tenant_of(request.headers)
        except PermissionError as e:
            return [], _error(401, str(e))
        except ValueError as e:
            return [], _error(400, str(e))
        try:
            trace_id = parse_trace_id(request.match_info["trace_id"])
            start, end = parse_time_range(request.query)
        except (InvalidTraceID, ValueError) as e:
            return [], _error(400, str(e))
        t0 = time.perf_counter()
        table = await querier.find_trace(tenant, trace_id, start, end)
        batches = table_to_resource_spans(table) if table.num_rows else []
        QUERY_SECONDS.labels("trace_by_id").observe(time.perf_counter() - t0)
        return batches, None

    async def v1(request: web.Request) -> web.Response:
        batches, err = await lookup(request)
        if err is not None:
            return err
        if not batches:
            return _error(404, "trace not found")
        if wants_protobuf(request):
            return web.Response(
                body=TracesData(resource_spans=batches).SerializeToString(),
                content_type="application/protobuf",
            )
        return web.Response(
            text=json.dumps({"batches": resource_spans_json(batches)}), content_type="application/json"
        )

    async def v2(request: web.Request) -> web.Response:
        batches, err = await lookup(request)
        if err is not None:
            return err
        status = 200 if batches else 404
        if wants_protobuf(request):
            return web.Response(
                status=status, body=encode_trace_v2_protobuf(batches), content_type="application/protobuf"
            )
        body: dict[str, Any] = {
            "trace": {"resourceSpans": resource_spans_json(batches)} if batches else {},
            "status": "COMPLETE",
        }
        if not batches:
            body["message"] = "trace not found"
        return web.Response(status=status, text=json.dumps(body), content_type="application/json")

    return [
        web.get("/api/traces/{trace_id}", v1),
        web.get("/api/v2/traces/{trace_id}", v2),
    ]
