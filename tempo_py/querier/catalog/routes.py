"""The Jaeger and Zipkin query APIs as routes: under prefixes on the query port, or Jaeger's at its
own paths on a listener of its own.

Tempo's API owns ``/api/traces/{id}`` and ``/api/search``, which Jaeger's API would also claim, so
on the query port Jaeger's routes (HTTP JSON and api_v3) are served under ``/jaeger`` and Zipkin's
under ``/zipkin``: point Grafana's Jaeger datasource at ``http://host:3200/jaeger`` and its Zipkin
datasource at ``http://host:3200/zipkin``; both append the API paths themselves. With
``querier.jaeger_query.listen_port`` set (e.g. 16686, jaeger-query's port), that listener answers
Jaeger's routes at jaeger-query's own paths (``/api/services``, ``/api/v3/traces``, ...), for
tools that expect them at the root. Both share one :class:`~.backend.Backend`, so one cache.
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


def query_backend(
    querier: Querier, max_bytes_per_query: int, tenant_of: Callable[[Mapping[str, str]], str]
) -> Backend:
    """The readers every compatibility route shares, over what ``querier`` reads."""
    return Backend.over(querier, max_bytes_per_query, tenant_of)


def query_api_routes(backend: Backend) -> list[web.RouteDef]:
    """Jaeger (``/jaeger/api/...``, ``/jaeger/api/v3/...``) and Zipkin (``/zipkin/api/v2/...``)."""
    return [
        *jaeger_routes(backend, JAEGER_PREFIX),
        *api_v3_routes(backend, JAEGER_PREFIX),
        *zipkin_routes(backend, ZIPKIN_PREFIX),
    ]


def jaeger_root_routes(backend: Backend, ui_path: str = "/ui/") -> list[web.RouteDef]:
    """Jaeger's routes at jaeger-query's own paths, and ``/`` redirecting to the UI (``ui_path``)."""

    async def root(_: web.Request) -> web.Response:
        raise web.HTTPFound(ui_path)

    return [web.get("/", root), *jaeger_routes(backend), *api_v3_routes(backend)]
