"""Zipkin's v2 query API (what the Zipkin UI and Grafana's Zipkin datasource call).

Routes sit under a prefix (``/zipkin`` on the query port): ``/api/v2/services``, ``/spans``,
``/remoteServices``, ``/traces``, ``/trace/{id}``, ``/traceMany``, ``/dependencies``,
``/autocompleteKeys``, ``/autocompleteValues``. As in Zipkin, errors are plain text, times are
ms (``endTs``, ``lookback``) and durations µs; ``annotationQuery`` is ``term and term ...``, a term
``key=value`` (a tag) or ``value`` (a tag key or an annotation). Autocomplete offers every span
attribute key (Zipkin offers only configured keys: here every key is searchable).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

from aiohttp import web

from tempo_py.querier.catalog.backend import ApiError, Backend, Handler, guarded, json_response
from tempo_py.querier.catalog.find import attribute_ref, find_traces, read_traces, span_filter, tag_condition
from tempo_py.querier.search_tags import TagQuery, tag_names, tag_values
from tempo_py.querier.zipkin.model import zipkin_trace
from tempo_py.traceql import ast, parse_and_validate
from tempo_py.traceql.enums import AttributeScope
from tempo_py.traceql.eval.plan import candidates, leaves
from tempo_py.traceql.printer import quote_string

DEFAULT_LIMIT = 10
DEFAULT_LOOKBACK_MS = 86_400_000  # Zipkin's QUERY_LOOKBACK default: one day


def _text_error(status: int, message: str) -> web.Response:
    """An error as Zipkin writes it: plain text."""
    return web.Response(status=status, text=message, content_type="text/plain")


def _guard(handler: Handler) -> Handler:
    return guarded(handler, _text_error)


def _int(q: Mapping[str, str], name: str, default: int | None) -> int | None:
    raw = q.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as e:
        raise ApiError(400, f"{name} must be an integer: {raw!r}") from e
    if value < 0:
        raise ApiError(400, f"{name} must not be negative")
    return value


def _trace_id(textual: str) -> bytes:
    if not 0 < len(textual) <= 32 or any(c not in "0123456789abcdefABCDEF" for c in textual):
        raise ApiError(400, f"{textual} should be a 1 to 32 character lower-hex string with no prefix")
    raw = bytes.fromhex(textual.rjust(32, "0"))
    if not any(raw):
        raise ApiError(400, f"{textual} should not be all zeros")
    return raw


def annotation_terms(query: str) -> list[str]:
    """TraceQL conditions for an annotationQuery (``error and http.method=GET``)."""
    out = []
    for term in (t.strip() for t in query.split(" and ")):
        if not term:
            continue
        key, sep, value = term.partition("=")
        if sep:
            out.append(tag_condition(key.strip(), value.strip()))
        elif term == "error":
            out.append("(status = error || .error != nil)")
        else:
            out.append(f"({attribute_ref(term)} != nil || event:name = {quote_string(term)})")
    return out


def _service_filter(service: str) -> tuple[ast.FieldExpr, ...]:
    formula = candidates(parse_and_validate("{ resource.service.name = " + quote_string(service) + " }"))
    return tuple(leaves(formula)) if formula is not None else ()


def zipkin_routes(backend: Backend, prefix: str = "") -> list[web.RouteDef]:
    """The routes, each path under ``prefix`` (e.g. ``/zipkin``)."""

    def required(q: Mapping[str, str], name: str) -> str:
        value = q.get(name, "").strip()
        if not value:
            raise ApiError(400, f"{name} is required")
        return value

    async def services(request: web.Request) -> web.Response:
        return json_response(await backend.catalog.services(backend.tenant(request)))

    async def spans(request: web.Request) -> web.Response:
        service = required(request.query, "serviceName")
        found = await backend.catalog.operations(backend.tenant(request), service)
        return json_response(sorted({name for name, _ in found}))

    async def remote_services(request: web.Request) -> web.Response:
        service = required(request.query, "serviceName")
        query = TagQuery(filters=_service_filter(service))
        attr = ast.Attribute(AttributeScope.SPAN, "peer.service")
        found = await tag_values(backend.engine, backend.tenant(request), query, attr)
        return json_response(sorted({v for _, v in found}))

    async def traces(request: web.Request) -> web.Response:
        tenant = backend.tenant(request)
        q = request.query
        end_ms = _int(q, "endTs", time.time_ns() // 10**6) or 0
        lookback_ms = _int(q, "lookback", DEFAULT_LOOKBACK_MS) or 0
        limit = _int(q, "limit", DEFAULT_LIMIT) or DEFAULT_LIMIT
        min_us, max_us = _int(q, "minDuration", None), _int(q, "maxDuration", None)
        if min_us is not None and max_us is not None and max_us < min_us:
            raise ApiError(400, "maxDuration should be >= minDuration")
        extra = annotation_terms(q.get("annotationQuery", ""))
        remote = q.get("remoteServiceName", "").strip()
        if remote:
            extra.append(tag_condition("peer.service", remote))
        name = q.get("spanName", "").strip()
        root = span_filter(
            service=q.get("serviceName", "").strip(),
            name="" if name == "all" else name,
            extra=extra,
            min_duration_ns=min_us * 1000 if min_us else None,
            max_duration_ns=max_us * 1000 if max_us else None,
        )
        start_ns, end_ns = (end_ms - lookback_ms) * 10**6, end_ms * 10**6 + 10**6 - 1
        tables = await find_traces(backend.engine, backend.querier, tenant, root, start_ns, end_ns, limit)
        return json_response(await asyncio.to_thread(lambda: [zipkin_trace(t) for t in tables]))

    async def trace(request: web.Request) -> web.Response:
        tenant = backend.tenant(request)
        tid = _trace_id(request.match_info["trace_id"])
        table = await backend.querier.find_trace(tenant, tid)
        if not table.num_rows:
            raise ApiError(404, f"Trace not found: {request.match_info['trace_id']}")
        return json_response(await asyncio.to_thread(zipkin_trace, table))

    async def trace_many(request: web.Request) -> web.Response:
        tenant = backend.tenant(request)
        raw = [t.strip() for t in required(request.query, "traceIds").split(",") if t.strip()]
        ids = list(dict.fromkeys(_trace_id(t) for t in raw))
        tables = await read_traces(backend.querier, tenant, ids)
        return json_response(await asyncio.to_thread(lambda: [zipkin_trace(t) for t in tables if t.num_rows]))

    async def dependencies(request: web.Request) -> web.Response:
        tenant = backend.tenant(request)
        end_ms = _int(request.query, "endTs", None)
        if end_ms is None:
            raise ApiError(400, "endTs is required")
        lookback_ms = _int(request.query, "lookback", DEFAULT_LOOKBACK_MS) or 0
        links = await backend.catalog.dependencies(tenant, (end_ms - lookback_ms) * 10**6, end_ms * 10**6)
        out = []
        for d in links:
            link: dict[str, object] = {"parent": d.parent, "child": d.child, "callCount": d.calls}
            if d.errors:
                link["errorCount"] = d.errors
            out.append(link)
        return json_response(out)

    async def autocomplete_keys(request: web.Request) -> web.Response:
        names = await tag_names(backend.engine, backend.tenant(request), TagQuery(), ["span"])
        return json_response(names.get("span", []))

    async def autocomplete_values(request: web.Request) -> web.Response:
        key = required(request.query, "key")
        attr = ast.Attribute(AttributeScope.SPAN, key)
        found = await tag_values(backend.engine, backend.tenant(request), TagQuery(), attr)
        return json_response(sorted({v for _, v in found}))

    p = prefix.rstrip("/") + "/api/v2"
    return [
        web.get(p + "/services", _guard(services)),
        web.get(p + "/spans", _guard(spans)),
        web.get(p + "/remoteServices", _guard(remote_services)),
        web.get(p + "/traces", _guard(traces)),
        web.get(p + "/trace/{trace_id}", _guard(trace)),
        web.get(p + "/traceMany", _guard(trace_many)),
        web.get(p + "/dependencies", _guard(dependencies)),
        web.get(p + "/autocompleteKeys", _guard(autocomplete_keys)),
        web.get(p + "/autocompleteValues", _guard(autocomplete_values)),
    ]
