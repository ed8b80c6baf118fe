"""Tempo's TraceQL metrics HTTP API: ``GET /api/metrics/query_range`` and ``GET /api/metrics/query``.

Parameters as Tempo's frontend reads them: ``q`` (or ``query``), ``start``/``end`` (Unix seconds,
nanoseconds, fractional seconds or RFC 3339; ``since`` instead of start), ``step`` (seconds or a
Go duration; default about 240 points), ``exemplars`` (accepted; no exemplars are recorded yet,
so none are returned), ``instant`` on query_range. Checks before running, with Tempo's messages:
end after start, ``query_frontend.metrics.max_duration``, ``max_intervals``. Answers jsonpb JSON,
or protobuf with ``Accept: application/protobuf``. Errors: 400 plain text (bad parameter, parse
error, "not supported"), 401 without credentials when auth is on, 429 / 504 from the query gate.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiohttp import web

from tempo_py.metrics import QUERY_SECONDS
from tempo_py.querier.metrics.engine import MetricsEngine
from tempo_py.querier.metrics.request import (
    SECOND,
    MetricsBadRequest,
    MetricsRequest,
    align,
    bounds,
    default_step,
    nonnegative_int,
    parse_step,
    query_text,
)
from tempo_py.querier.metrics.response import instant_json, instant_protobuf, range_json, range_protobuf
from tempo_py.querier.metrics.series import go_duration
from tempo_py.querier.querier import Querier
from tempo_py.querier.query_errors import QUERY_ERRORS, query_status
from tempo_py.querier.search import SearchEngine
from tempo_py.querier.trace_api import wants_protobuf
from tempo_py.traceql import parse_and_validate

PROTOBUF = "application/protobuf"


@dataclass(frozen=True)
class MetricsSettings:
    """The metrics API's limits; :func:`tempo_py.app.wiring.metrics_settings` maps them from
    ``query_frontend.metrics.*`` (the config schema holds the defaults)."""

    max_duration_s: float  # 0: no limit
    max_response_series: int  # 0: no limit
    max_intervals: int  # 0: no limit


def parse_metrics_request(
    params: Mapping[str, str], settings: MetricsSettings, instant: bool
) -> MetricsRequest:
    """A validated, aligned request. Raises MetricsBadRequest or TraceQLError."""
    text = query_text(params)
    root = parse_and_validate(text)
    start, end = bounds(params)
    if not instant and params.get("instant", "").lower() in ("1", "t", "true"):
        instant = True
    if instant:
        step = end - start
    else:
        step = parse_step(params["step"]) if params.get("step") else default_step(start, end)
    if start >= end:
        raise MetricsBadRequest("end must be greater than start")
    if settings.max_duration_s and end - start > settings.max_duration_s * SECOND:
        raise MetricsBadRequest(
            "metrics query time range exceeds the maximum allowed duration of "
            f"{go_duration(int(settings.max_duration_s * SECOND))}"
        )
    if settings.max_intervals and (step == 0 or (end - start) // step > settings.max_intervals):
        minimum = (end - start) // settings.max_intervals
        raise MetricsBadRequest(
            f"step of {go_duration(step)} is too small, "
            f"minimum step for given range is {go_duration(minimum)}"
        )
    if not instant:
        start, end = align(start, end, step)
    return MetricsRequest(root, text, start, end, step, instant, nonnegative_int(params, "exemplars"))


def metrics_routes(
    engine: MetricsEngine, settings: MetricsSettings, tenant_of: Callable[[Mapping[str, str]], str]
) -> list[web.RouteDef]:
    """Routes for /api/metrics/query_range and /api/metrics/query."""

    async def answer(request: web.Request, instant: bool) -> web.Response:
        try:
            tenant = tenant_of(request.headers)
        except PermissionError as e:
            return _error(401, str(e))
        except ValueError as e:
            return _error(400, str(e))
        try:
            req = parse_metrics_request(request.query, settings, instant)
            timer = QUERY_SECONDS.labels("metrics_query" if instant else "metrics_query_range").time()
            with timer:
                result, stats = await engine.query(tenant, req)
        except QUERY_ERRORS as e:
            return _error(query_status(e), str(e))
        except MetricsBadRequest as e:
            return _error(400, str(e))
        if wants_protobuf(request):
            body = instant_protobuf(result, req, stats) if instant else range_protobuf(result, req, stats)
            return web.Response(body=body, content_type=PROTOBUF)
        doc = instant_json(result, req, stats) if instant else range_json(result, req, stats)
        return web.Response(text=json.dumps(doc), content_type="application/json")

    def handler(instant: bool) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            return await answer(request, instant)

        return handle

    return [
        web.get("/api/metrics/query_range", handler(False)),
        web.get("/api/metrics/query", handler(True)),
    ]


def querier_metrics_routes(
    querier: Querier,
    settings: MetricsSettings,
    tenant_of: Callable[[Mapping[str, str]], str],
) -> list[web.RouteDef]:
    """Metrics routes over ``querier``'s blocks and ingesters."""
    search = SearchEngine.for_querier(querier, max_bytes_per_query=0)
    return metrics_routes(MetricsEngine(search, settings.max_response_series), settings, tenant_of)


def _error(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text + "\n", content_type="text/plain")
