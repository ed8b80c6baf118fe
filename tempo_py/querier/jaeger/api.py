"""jaeger-query's HTTP JSON API (what the Jaeger UI and Grafana's Jaeger datasource call).

Every answer is jaeger-query's envelope ``{"data", "total", "limit", "offset", "errors"}``; errors
come back in the same envelope with the HTTP status in ``errors[0].code``. Routes are registered
under a prefix (``/jaeger`` on the query port, where ``/api/traces/{id}`` is Tempo's own route).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from tempo_py.querier.catalog.backend import ApiError, Backend, Handler, guarded, json_response
from tempo_py.querier.catalog.find import find_traces, read_traces, span_filter
from tempo_py.querier.jaeger import params
from tempo_py.querier.jaeger.model import jaeger_trace, trace_id_hex


def envelope(data: Any, total: int = 0, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """jaeger-query's structuredResponse."""
    return {"data": data, "total": total, "limit": 0, "offset": 0, "errors": errors}


def reply(request: web.Request, body: dict[str, Any]) -> web.Response:
    """A 200 answer; indented as jaeger-query does when ``prettyPrint`` is given and not ``false``."""
    pretty = request.query.get("prettyPrint", "")
    if pretty and pretty != "false":
        return web.Response(text=json.dumps(body, indent=4), content_type="application/json")
    return json_response(body)


def error_reply(status: int, message: str) -> web.Response:
    """An error as jaeger-query writes it."""
    return json_response(envelope(None, errors=[{"code": status, "msg": message}]), status)


def _guard(handler: Handler) -> Handler:
    return guarded(handler, error_reply)


def jaeger_routes(backend: Backend, prefix: str = "") -> list[web.RouteDef]:
    """The routes, each path under ``prefix`` (e.g. ``/jaeger``)."""

    async def services(request: web.Request) -> web.Response:
        names = await backend.catalog.services(backend.tenant(request))
        return reply(request, envelope(names, len(names)))

    async def operations_legacy(request: web.Request) -> web.Response:
        found = await backend.catalog.operations(backend.tenant(request), request.match_info["service"])
        names = sorted({name for name, _ in found})
        return reply(request, envelope(names, len(names)))

    async def operations(request: web.Request) -> web.Response:
        service = request.query.get("service", "")
        if not service:
            raise ApiError(400, "parameter 'service' is required")
        # as jaeger-query: an empty kind means every kind; one no span has (even "unspecified",
        # which is stored as "") finds nothing
        kind = request.query.get("spanKind", "")
        found = await backend.catalog.operations(backend.tenant(request), service, kind)
        data = [{"name": name, "spanKind": k} for name, k in found]
        return reply(request, envelope(data, len(data)))

    async def search(request: web.Request) -> web.Response:
        tenant = backend.tenant(request)
        q = request.query
        ids = [params.trace_id(t) for t in q.getall("traceID", [])]
        end = params.epoch(q, "end", 1000)
        start = params.epoch(q, "start", 1000)
        if ids:
            tables = await read_traces(backend.querier, tenant, ids)
            found = [jaeger_trace(t) for t in tables if t.num_rows]
            missing = [
                {"msg": "trace not found", "traceID": trace_id_hex(i)}
                for i, t in zip(ids, tables, strict=True)
                if not t.num_rows
            ]
            return reply(request, envelope(found, errors=missing or None))
        service = q.get("service", "")
        if not service:
            raise ApiError(400, "parameter 'service' is required")
        end = params.now_ns() if end is None else end
        if start is None:
            lookback = (
                params.go_duration(q, "lookback") if q.get("lookback") not in (None, "", "custom") else None
            )
            start = end - (lookback if lookback is not None else params.TRACE_LOOKBACK_NS)
        min_d, max_d = params.go_duration(q, "minDuration"), params.go_duration(q, "maxDuration")
        if min_d and max_d and max_d < min_d:
            raise ApiError(400, "'maxDuration' should be greater than 'minDuration'")
        raw_limit = q.get("limit", "")
        try:
            limit = int(raw_limit) if raw_limit else params.DEFAULT_LIMIT
        except ValueError as e:
            raise ApiError(400, f'strconv.ParseInt: parsing "{raw_limit}": invalid syntax') from e
        operation = q.get("operation", "")
        root = span_filter(
            service=service,
            name="" if operation == "all" else operation,
            tags=params.tags(q),
            min_duration_ns=min_d,
            max_duration_ns=max_d,
        )
        tables = await find_traces(backend.engine, backend.querier, tenant, root, start, end, max(limit, 0))
        traces = await asyncio.to_thread(lambda: [jaeger_trace(t) for t in tables])
        return reply(request, envelope(traces))

    async def trace(request: web.Request) -> web.Response:
        tenant = backend.tenant(request)
        tid = params.trace_id(request.match_info["trace_id"])
        start = params.epoch(request.query, "start", 1000)
        end = params.epoch(request.query, "end", 1000)
        table = await backend.querier.find_trace(tenant, tid, start, end)
        if not table.num_rows:
            raise ApiError(404, "trace not found")
        body = await asyncio.to_thread(jaeger_trace, table)
        return reply(request, envelope([body]))

    async def dependencies(request: web.Request) -> web.Response:
        tenant = backend.tenant(request)
        q = request.query
        end_ms = params.millis(q, "endTs", params.now_ns() // 10**6)
        lookback_ms = params.millis(q, "lookback", params.DEPENDENCY_LOOKBACK_MS)
        links = await backend.catalog.dependencies(
            tenant, (end_ms - lookback_ms) * 10**6, end_ms * 10**6 + 10**6 - 1
        )
        service = q.get("service", "")
        data = [
            {"parent": d.parent, "child": d.child, "callCount": d.calls}
            for d in links
            if not service or service in (d.parent, d.child)
        ]
        return reply(request, envelope(data))

    p = prefix.rstrip("/")
    return [
        web.get(p + "/api/services", _guard(services)),
        # a service name may hold "/" (sent as %2F, decoded before routing)
        web.get(p + "/api/services/{service:.+}/operations", _guard(operations_legacy)),
        web.get(p + "/api/operations", _guard(operations)),
        web.get(p + "/api/traces", _guard(search)),
        web.get(p + "/api/traces/{trace_id}", _guard(trace)),
        web.get(p + "/api/dependencies", _guard(dependencies)),
    ]
