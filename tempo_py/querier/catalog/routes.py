"""The Jaeger and Zipkin query APIs as routes for the query port, under their prefixes.

Tempo's API owns ``/api/traces/{id}`` and ``/api/search``, which Jaeger's API would also claim, so
Jaeger's routes (HTTP JSON and api_v3) are served under ``/jaeger`` and Zipkin's under ``/zipkin``:
point Grafana's Jaeger datasource at ``http://host:3200/jaeger`` and its Zipkin datasource at
``http://host:3200/zipkin``; both append the API paths themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from aiohttp import web

from tempo_py.querier.catalog.backend import Backend
from tempo_py.querier.jaeger.api import jaeger_routes
from tempo_py.querier.jaeger.api_v3 import api_v3_routes
from tempo_py.querier.querier import Querier
from tempo_py.querier.zipkin.api import zipkin_routes

JAEGER_PREFIX = "/jaeger"
ZIPKIN_PREFIX = "/zipkin"


def query_api_routes(
    querier: Querier, max_bytes_per_query: int, tenant_of: Callable[[Mapping[str, str]], str]
) -> list[web.RouteDef]:
    """Jaeger (``/jaeger/api/...``, ``/jaeger/api/v3/...``) and Zipkin (``/zipkin/api/v2/...``)."""
    backend = Backend.over(querier, max_bytes_per_query, tenant_of)
    return [
        *jaeger_routes(backend, JAEGER_PREFIX),
        *api_v3_routes(backend, JAEGER_PREFIX),
        *zipkin_routes(backend, ZIPKIN_PREFIX),
    ]
