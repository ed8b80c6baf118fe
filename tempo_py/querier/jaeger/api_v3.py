"""Jaeger's api_v3 over HTTP (jaeger-query's gRPC-gateway routes): OTLP/JSON traces in ``{"result"}``.

``GET /api/v3/services`` -> ``{"services": [...]}``; ``/api/v3/operations?service=&spanKind=`` ->
``{"operations": [{"name", "spanKind"}]}`` (empty kinds as ``internal``); ``/api/v3/traces/{id}``
and ``/api/v3/traces?query.service_name=&query.start_time_min=...`` -> ``{"result": TracesData}``,
all traces found merged into one ``resourceSpans`` list. Both the current camelCase parameter names
and the older snake_case ones are read. Errors: ``{"error": {"httpCode", "message"}}``; protobuf
JSON leaves empty fields out, so an empty list is no key at all.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping

import pyarrow as pa
from aiohttp import web

from tempo_py.model.arrow_to_otlp import table_to_resource_spans
from tempo_py.querier.catalog.backend import ApiError, Backend, Handler, guarded, json_response
from tempo_py.querier.catalog.find import find_traces, span_filter
from tempo_py.querier.jaeger import params
from tempo_py.querier.jaeger.model import otlp_json

DEFAULT_SEARCH_DEPTH = 100


def error_reply(status: int, message: str) -> web.Response:
    """An error as the gRPC gateway writes it."""
    return json_response({"error": {"httpCode": status, "message": message}}, status)


def _param(q: Mapping[str, str], canonical: str, deprecated: str) -> tuple[str, str]:
    if q.get(canonical):
        return q[canonical], canonical
    return q.get(deprecated, ""), deprecated


def _guard(handler: Handler) -> Handler:
    return guarded(handler, error_reply)


def _result(tables: list[pa.Table]) -> web.Response:
    if not tables:
        return error_reply(404, "No traces found")
    batches = [rs for t in tables for rs in table_to_resource_spans(t)]
    return json_response({"result": otlp_json(batches)})


def _duration(q: Mapping[str, str], canonical: str, deprecated: str) -> int | None:
    raw, name = _param(q, canonical, deprecated)
    if not raw:
        return None
    nanos = params.parse_duration(raw)
    if nanos is None:
        raise ApiError(400, f'malformed parameter {name}: time: invalid duration "{raw}"')
    return nanos


def api_v3_routes(backend: Backend, prefix: str = "") -> list[web.RouteDef]:
    """The routes, each path under ``prefix``."""

    async def services(request: web.Request) -> web.Response:
        names = await backend.catalog.services(backend.tenant(request))
        return json_response({"services": names} if names else {})

    async def operations(request: web.Request) -> web.Response:
        q = request.query
        kind, _ = _param(q, "spanKind", "span_kind")
        found = await backend.catalog.operations(backend.tenant(request), q.get("service", ""), kind)
        ops = [{"name": name, "spanKind": k or "internal"} for name, k in found]
        return json_response({"operations": ops} if ops else {})

    async def trace(request: web.Request) -> web.Response:
        tenant = backend.tenant(request)
        try:
            tid = params.trace_id(request.match_info["trace_id"])
        except ApiError as e:
            raise ApiError(400, f"malformed parameter trace_id: {e.message}") from e
        q = request.query
        bounds: list[int | None] = []
        for canonical, deprecated in (("startTime", "start_time"), ("endTime", "end_time")):
            raw, name = _param(q, canonical, deprecated)
            bounds.append(params.rfc3339(raw, name) if raw else None)
        table = await backend.querier.find_trace(tenant, tid, bounds[0], bounds[1])
        return await asyncio.to_thread(_result, [table] if table.num_rows else [])

    async def find(request: web.Request) -> web.Response:
        tenant = backend.tenant(request)
        q = request.query
        service, _ = _param(q, "query.serviceName", "query.service_name")
        operation, _ = _param(q, "query.operationName", "query.operation_name")
        attributes: dict[str, str] = {}
        if q.get("query.attributes"):
            try:
                doc = json.loads(q["query.attributes"])
            except ValueError as e:
                raise ApiError(400, f"malformed parameter query.attributes: {e}") from e
            if not isinstance(doc, dict) or not all(isinstance(v, str) for v in doc.values()):
                raise ApiError(400, "malformed parameter query.attributes: expected an object of strings")
            attributes = doc
        lo, lo_name = _param(q, "query.startTimeMin", "query.start_time_min")
        hi, hi_name = _param(q, "query.startTimeMax", "query.start_time_max")
        if not lo or not hi:
            raise ApiError(400, "query.startTimeMin and query.startTimeMax are required")
        start, end = params.rfc3339(lo, lo_name), params.rfc3339(hi, hi_name)
        if start >= end:
            raise ApiError(400, "query.startTimeMin must be before query.startTimeMax")
        depth_raw, depth_name = _param(q, "query.searchDepth", "query.search_depth")
        if not depth_raw:
            depth_raw, depth_name = q.get("query.num_traces", ""), "query.num_traces"
        try:
            depth = int(depth_raw) if depth_raw else DEFAULT_SEARCH_DEPTH
        except ValueError as e:
            raise ApiError(
                400, f'malformed parameter {depth_name}: strconv.Atoi: parsing "{depth_raw}": invalid syntax'
            ) from e
        root = span_filter(
            service=service,
            name=operation,
            tags=attributes,
            min_duration_ns=_duration(q, "query.durationMin", "query.duration_min"),
            max_duration_ns=_duration(q, "query.durationMax", "query.duration_max"),
        )
        tables = await find_traces(backend.engine, backend.querier, tenant, root, start, end, max(depth, 0))
        return await asyncio.to_thread(_result, tables)

    p = prefix.rstrip("/")
    return [
        web.get(p + "/api/v3/services", _guard(services)),
        web.get(p + "/api/v3/operations", _guard(operations)),
        web.get(p + "/api/v3/traces", _guard(find)),
        web.get(p + "/api/v3/traces/{trace_id}", _guard(trace)),
    ]


__all__ = ["api_v3_routes"]
