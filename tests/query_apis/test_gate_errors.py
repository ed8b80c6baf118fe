"""A search the querier's gate refuses (full queue: 429, waited too long: 504) is answered in each
API's own error shape, not as a 500."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tempo_py.querier.catalog.backend import Backend
from tempo_py.querier.jaeger.api import jaeger_routes
from tempo_py.querier.jaeger.api_v3 import api_v3_routes
from tempo_py.querier.query_gate import QueryTimeout, QueueFull
from tempo_py.querier.zipkin.api import zipkin_routes


class RefusingEngine:
    """Stands in for SearchEngine: every search is refused by the gate."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def search(self, tenant: str, query: Any) -> Any:
        raise self.error


@pytest.mark.parametrize(
    ("error", "status"), [(QueueFull("queue full"), 429), (QueryTimeout("too slow"), 504)]
)
async def test_gate_refusals(error: Exception, status: int) -> None:
    backend = Backend(querier=None, engine=RefusingEngine(error), catalog=None, tenant_of=lambda h: "t")  # type: ignore[arg-type]
    app = web.Application()
    app.add_routes(
        [
            *jaeger_routes(backend, "/jaeger"),
            *api_v3_routes(backend, "/jaeger"),
            *zipkin_routes(backend, "/zipkin"),
        ]
    )
    async with TestClient(TestServer(app)) as client:
        r = await client.get("/jaeger/api/traces", params={"service": "s"})
        assert r.status == status
        assert (await r.json())["errors"] == [{"code": status, "msg": str(error)}]
        r = await client.get(
            "/jaeger/api/v3/traces",
            params={
                "query.start_time_min": "2026-01-01T00:00:00Z",
                "query.start_time_max": "2026-01-02T00:00:00Z",
            },
        )
        assert r.status == status and await r.json() == {"error": {"httpCode": status, "message": str(error)}}
        r = await client.get("/zipkin/api/v2/traces", params={"serviceName": "s"})
        assert r.status == status and await r.text() == str(error)
