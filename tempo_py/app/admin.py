"""Operational endpoints on the HTTP port: /ready, /api/echo, /api/status/buildinfo, /metrics,
/flush, /shutdown, /status/config.

They act on an :class:`AdminTarget`, the few things a running process offers its operator, so this
module needs nothing of the process wiring (:mod:`tempo_py.app.process` implements the protocol).
"""

from __future__ import annotations

import asyncio
import json
import platform
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from tempo_py import __version__


class AdminTarget(Protocol):
    """What the admin endpoints need of a running process."""

    @property
    def ready(self) -> bool:
        """Whether the process serves traffic (False while starting up or shutting down)."""
        ...

    async def flush(self) -> int:
        """Cut and flush every ingester now; returns the number of blocks written."""
        ...

    def request_stop(self) -> None:
        """Ask the process to stop: stop receivers, flush, exit."""
        ...

    def config_dict(self) -> dict[str, Any]:
        """The running configuration as JSON-ready data, secrets masked."""
        ...


Handler = Callable[[web.Request], Awaitable[web.Response]]


def admin_routes(
    app: AdminTarget, *, authenticate: Callable[[Mapping[str, str]], object] | None = None
) -> list[web.RouteDef]:
    """Routes bound to a running process.

    ``authenticate`` (the tenant resolver when bearer tokens are configured) guards /flush,
    /shutdown and /status/config: a ``PermissionError`` from it is a 401. /ready, /metrics, echo
    and buildinfo stay open so probes and scrapers need no token.
    """

    def guarded(handler: Handler) -> Handler:
        if authenticate is None:
            return handler

        async def check(request: web.Request) -> web.Response:
            try:
                authenticate(request.headers)
            except PermissionError as exc:
                return web.Response(status=401, text=f"{exc}\n", headers={"WWW-Authenticate": "Bearer"})
            return await handler(request)

        return check

    async def ready(_: web.Request) -> web.Response:
        if app.ready:
            return web.Response(text="ready\n")
        return web.Response(status=503, text="not ready: starting up or shutting down\n")

    async def echo(_: web.Request) -> web.Response:
        return web.Response(text="echo", content_type="text/plain")

    async def buildinfo(_: web.Request) -> web.Response:
        info = {
            "version": __version__,
            "revision": "",
            "branch": "",
            "buildUser": "",
            "buildDate": "",
            "goVersion": f"python{platform.python_version()}",
        }
        return web.json_response(info)

    async def metrics(_: web.Request) -> web.Response:
        body = await asyncio.to_thread(generate_latest)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def flush(_: web.Request) -> web.Response:
        written = await app.flush()
        return web.Response(
            status=204 if written == 0 else 200, text="" if written == 0 else f"flushed {written} blocks\n"
        )

    async def shutdown(_: web.Request) -> web.Response:
        app.request_stop()  # the main loop stops receivers, flushes and exits
        return web.Response(text="shutting down: flushing and stopping\n")

    async def config(_: web.Request) -> web.Response:
        return web.Response(text=json.dumps(app.config_dict(), indent=2), content_type="application/json")

    return [
        web.get("/ready", ready),
        web.get("/api/echo", echo),
        web.get("/api/status/buildinfo", buildinfo),
        web.get("/metrics", metrics),
        # POST only: a GET can be triggered cross-site (an <img> tag, a link preview) or by a
        # crawler, and these change state; aiohttp answers GET with 405 Method Not Allowed.
        web.post("/flush", guarded(flush)),
        web.post("/shutdown", guarded(shutdown)),
        web.get("/status/config", guarded(config)),
    ]
