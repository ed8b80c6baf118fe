"""What every compatibility API handler needs: the readers, the tenant resolver and JSON replies."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tempo_py.querier.catalog.index import ServiceCatalog
from tempo_py.querier.querier import Querier
from tempo_py.querier.query_errors import QUERY_ERRORS, query_status
from tempo_py.querier.search import SearchEngine


class ApiError(Exception):
    """A reply other than 200: status and message (each API writes it in its own shape)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Backend:
    """The querier (traces by ID), the search engine and the service catalog over the same data."""

    querier: Querier
    engine: SearchEngine
    catalog: ServiceCatalog
    tenant_of: Callable[[Mapping[str, str]], str]

    @classmethod
    def over(
        cls, querier: Querier, max_bytes_per_query: int, tenant_of: Callable[[Mapping[str, str]], str]
    ) -> Backend:
        """A backend reading what ``querier`` reads."""
        engine = SearchEngine.for_querier(querier, max_bytes_per_query)
        return cls(querier, engine, ServiceCatalog(engine), tenant_of)

    def tenant(self, request: web.Request) -> str:
        """The request's tenant; ApiError 401/400 when the credentials or the org ID are bad."""
        try:
            return self.tenant_of(request.headers)
        except PermissionError as e:
            raise ApiError(401, str(e)) from e
        except ValueError as e:
            raise ApiError(400, str(e)) from e


def json_response(body: Any, status: int = 200) -> web.Response:
    """A JSON reply."""
    return web.Response(status=status, text=json.dumps(body), content_type="application/json")


Handler = Callable[[web.Request], Awaitable[web.Response]]


def guarded(handler: Handler, error_reply: Callable[[int, str], web.Response]) -> Handler:
    """``handler`` with ApiError and the query errors (:mod:`tempo_py.querier.query_errors`)
    answered through the API's own ``error_reply(status, message)``."""

    async def run(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except ApiError as e:
            return error_reply(e.status, e.message)
        except QUERY_ERRORS as e:
            return error_reply(query_status(e), str(e))

    return run
