"""Tempo's search HTTP API: /api/search and the tag autocomplete endpoints (v1 and v2).

Errors follow Tempo: 400 with a plain-text message for bad parameters or queries (the parser's
message, with position), for metrics queries ("not supported") and for a query whose planned block
reads exceed ``querier.search.max_bytes_per_query``; the response body's fields stay exactly
tempopb's, so a budget stop cannot be reported inside a 200.
"""

from __future__ import annotations

import dataclasses
import json
import shlex
import time
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from tempo_py.metrics import QUERY_SECONDS
from tempo_py.querier.querier import Querier
from tempo_py.querier.query_errors import QUERY_ERRORS, query_status
from tempo_py.querier.search import SearchEngine, SearchOutcome, SearchQuery
from tempo_py.querier.search_response import search_response
from tempo_py.querier.search_tags import SCOPES, TagQuery, tag_names, tag_values
from tempo_py.querier.search_workers import cpu
from tempo_py.querier.trace_api import parse_time_range
from tempo_py.traceql import ast, parse, parse_and_validate
from tempo_py.traceql.durations import parse_duration
from tempo_py.traceql.enums import AttributeScope
from tempo_py.traceql.errors import TraceQLError
from tempo_py.traceql.eval.plan import TRUE, candidates, leaves
from tempo_py.traceql.printer import quote_string

# logfmt keys of Tempo's tag search that mean intrinsics or the resource service name
_TAG_KEYS = {"service.name": "resource.service.name", "name": "name", "status": "status", "kind": "kind"}


class BadRequest(ValueError):
    """A parameter a person must fix."""


def tags_to_traceql(tags: str) -> str:
    """logfmt ``service.name=foo http.status_code=500`` -> `{ resource.service.name = "foo" && ... }`."""
    try:
        pairs = shlex.split(tags)
    except ValueError as e:
        raise BadRequest(f"invalid tags: {e}") from e
    conditions = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise BadRequest(f"invalid tags: {pair!r} is not key=value")
        target = _TAG_KEYS.get(key, "." + (key if _plain(key) else quote_string(key)))
        if key in ("status", "kind"):
            conditions.append(f"{target} = {value}")
        elif _is_int(value):
            conditions.append(f"({target} = {quote_string(value)} || {target} = {int(value)})")
        else:
            conditions.append(f"{target} = {quote_string(value)}")
    return "{ " + " && ".join(conditions) + " }" if conditions else "{ }"


def _plain(key: str) -> bool:
    return all(ch.isalnum() or ch in "._-/" for ch in key)


def _is_int(text: str) -> bool:
    return text.lstrip("-").isdigit()


def _int_param(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(str(raw))
    except ValueError as e:
        raise BadRequest(f"invalid {name}: {raw!r} is not an integer") from e
    if value < 0:
        raise BadRequest(f"invalid {name}: must not be negative")
    return value or default


def _duration_param(query: Mapping[str, str], name: str) -> int | None:
    raw = query.get(name)
    if raw in (None, ""):
        return None
    nanos = parse_duration(str(raw))
    if nanos is None:
        raise BadRequest(f"invalid {name}: {raw!r} is not a duration such as 100ms or 1.5s")
    return nanos


def parse_search_request(query: Mapping[str, str]) -> tuple[SearchQuery, str]:
    """(SearchQuery, TraceQL text) from /api/search parameters. Raises BadRequest or TraceQLError."""
    q = query.get("q") or ""
    tags = query.get("tags") or ""
    text = q if q.strip() else tags_to_traceql(tags)
    root = parse_and_validate(text)
    start, end = parse_time_range(query)
    return SearchQuery(
        root, start, end, _duration_param(query, "minDuration"), _duration_param(query, "maxDuration")
    ), text


def _tag_query(query: Mapping[str, str]) -> TagQuery:
    start, end = parse_time_range(query)
    filters: tuple[ast.FieldExpr, ...] = ()
    q = query.get("q") or ""
    if q.strip():
        try:
            formula = candidates(parse(q))
            # autocomplete narrows to spans matching any condition; `{ }` narrows nothing
            filters = () if formula is None else tuple(e for e in leaves(formula) if e != TRUE)
        except TraceQLError:
            filters = ()  # Grafana sends half-typed queries while the user edits; ignore them
    return TagQuery(filters, start, end, _int_param(query, "limit", 0))


def _encoded_response(outcome: SearchOutcome, root: ast.RootExpr, limit: int, spss: int) -> bytes:
    """The response as JSON, encoded one trace at a time: json.dumps holds the GIL for its whole
    call, and one call over thousands of traces would stall the event loop meanwhile."""
    body = search_response(outcome, root, limit, spss)
    traces = body.pop("traces", [])
    rest = json.dumps(body)[1:-1]
    parts = ",".join(json.dumps(t) for t in traces)
    return ('{"traces":[' + parts + "]" + ("," + rest if rest else "") + "}").encode()


def _json(body: dict[str, Any]) -> web.Response:
    return web.Response(text=json.dumps(body), content_type="application/json")


def _error(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text + "\n", content_type="text/plain")


def search_routes(
    engine: SearchEngine, tenant_of: Callable[[Mapping[str, str]], str], default_limit: int, default_spss: int
) -> list[web.RouteDef]:
    """Routes for /api/search and the tag endpoints."""

    async def guarded(request: web.Request, handler: Callable[[str], Any]) -> web.Response:
        try:
            tenant = tenant_of(request.headers)
        except PermissionError as e:
            return _error(401, str(e))
        except ValueError as e:
            return _error(400, str(e))
        try:
            return await handler(tenant)  # type: ignore[no-any-return]
        except QUERY_ERRORS as e:
            return _error(query_status(e), str(e))
        except (BadRequest, ValueError) as e:  # request parameters, time range
            return _error(400, str(e))

    async def search(request: web.Request) -> web.Response:
        async def run(tenant: str) -> web.Response:
            query, _ = parse_search_request(request.query)
            limit = _int_param(request.query, "limit", default_limit)
            query = dataclasses.replace(query, limit=limit)
            spss = _int_param(request.query, "spss", default_spss)
            t0 = time.perf_counter()
            outcome = await engine.search(tenant, query)
            # building and encoding a large answer is Python work per trace: not on the event loop
            body = await cpu(_encoded_response, outcome, query.root, limit, spss)
            QUERY_SECONDS.labels("search").observe(time.perf_counter() - t0)
            return web.Response(body=body, content_type="application/json")

        return await guarded(request, run)

    async def tags_v1(request: web.Request) -> web.Response:
        async def run(tenant: str) -> web.Response:
            scope = request.query.get("scope") or "all"
            scopes = ["span", "resource"] if scope == "all" else [scope]
            names = await tag_names(engine, tenant, _tag_query(request.query), scopes)
            return _json({"tagNames": sorted({n for s in scopes for n in names.get(s, [])})})

        return await guarded(request, run)

    async def tags_v2(request: web.Request) -> web.Response:
        async def run(tenant: str) -> web.Response:
            scope = request.query.get("scope") or "all"
            if scope != "all" and scope not in SCOPES:
                raise BadRequest(f"invalid scope {scope!r}; expected one of {', '.join(SCOPES)}")
            scopes = list(SCOPES) if scope == "all" else [scope]
            names = await tag_names(engine, tenant, _tag_query(request.query), scopes)
            out = [{"name": s, "tags": names[s]} for s in scopes if names.get(s) or s == scope]
            return _json({"scopes": out})

        return await guarded(request, run)

    async def values_v1(request: web.Request) -> web.Response:
        async def run(tenant: str) -> web.Response:
            attr = ast.Attribute(AttributeScope.NONE, request.match_info["tag"])
            found = await tag_values(engine, tenant, _tag_query(request.query), attr)
            return _json({"tagValues": sorted({v for _, v in found})})

        return await guarded(request, run)

    async def values_v2(request: web.Request) -> web.Response:
        async def run(tenant: str) -> web.Response:
            attr = parse_identifier(request.match_info["identifier"])
            found = await tag_values(engine, tenant, _tag_query(request.query), attr)
            return _json({"tagValues": [{"type": t, "value": v} for t, v in found]})

        return await guarded(request, run)

    return [
        web.get("/api/search", search),
        web.get("/api/search/tags", tags_v1),
        web.get("/api/v2/search/tags", tags_v2),
        web.get("/api/search/tag/{tag}/values", values_v1),
        web.get("/api/v2/search/tag/{identifier}/values", values_v2),
    ]


def parse_identifier(text: str) -> ast.Attribute:
    """A TraceQL attribute or intrinsic (`resource.service.name`, `span.http.method`, `status`)."""
    try:
        root = parse("{ " + text + " }")
    except TraceQLError as e:
        raise BadRequest(f"invalid tag identifier {text!r}: {e}") from e
    query = root.query
    stage = query.stages[0] if isinstance(query, ast.Pipeline) and len(query.stages) == 1 else None
    if not (isinstance(stage, ast.SpansetFilter) and isinstance(stage.expr, ast.Attribute)):
        raise BadRequest(f"invalid tag identifier {text!r}: expected an attribute such as span.http.method")
    return stage.expr


@dataclasses.dataclass(frozen=True)
class SearchSettings:
    """The search API's knobs. No defaults here: :func:`tempo_py.app.wiring.search_settings` maps
    them from ``querier.search.*`` (the config schema holds the defaults)."""

    max_bytes_per_query: int
    default_limit: int
    default_spans_per_span_set: int


def querier_search_routes(
    querier: Querier, settings: SearchSettings, tenant_of: Callable[[Mapping[str, str]], str]
) -> list[web.RouteDef]:
    """Search routes over ``querier``'s blocks and ingesters."""
    engine = SearchEngine.for_querier(querier, settings.max_bytes_per_query)
    return search_routes(engine, tenant_of, settings.default_limit, settings.default_spans_per_span_set)
