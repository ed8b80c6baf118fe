"""Operational endpoints on the HTTP port: /ready, /api/echo, /api/status/buildinfo, /metrics,
/flush, /shutdown, and Tempo's status pages: /status (all of them), /status/version,
/status/services, /status/endpoints, /status/runtime_config and /status/config (YAML, with
``?mode=diff`` for what differs from the defaults and ``?mode=defaults``; secrets masked), and
/status/overrides[/{tenant}] (the tenants with overrides; one tenant's effective limits).

They act on an :class:`AdminTarget`, the few things a running process offers its operator, so this
module needs nothing of the process wiring (:mod:`tempo_py.app.process` implements the protocol).
"""

from __future__ import annotations

import asyncio
import platform
import re
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

import yaml
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from tempo_py import __version__
from tempo_py.app.tempo_metrics import TEMPO_NAMES_REGISTRY
from tempo_py.config import Config

API_DOCS = "https://grafana.com/docs/tempo/latest/api_docs/"


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

    @property
    def backend_error(self) -> str | None:
        """Why the object store is unusable right now (None: it answered its last probe)."""
        ...

    def services(self) -> list[tuple[str, str, str]]:
        """(service name, state, failure case) of every module this process runs."""
        ...


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A boxed text table as Tempo's status pages print (headers upper-cased)."""
    cols = [h.upper() for h in header]
    widths = [max(len(str(r[i])) for r in [cols, *rows]) for i in range(len(cols))]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+\n"

    def line(cells: Sequence[str]) -> str:
        return "|" + "|".join(f" {c!s:<{w}} " for c, w in zip(cells, widths, strict=True)) + "|\n"

    return rule + line(cols) + rule + "".join(line(r) for r in rows) + rule


def diff_config(defaults: Any, current: Any) -> Any:
    """What of ``current`` differs from ``defaults``: nested mappings keep only differing keys."""
    if isinstance(defaults, dict) and isinstance(current, dict):
        out = {}
        for key, value in current.items():
            if key not in defaults:
                out[key] = value
            elif value != defaults[key]:
                out[key] = diff_config(defaults[key], value)
        return out
    return current


def _yaml(data: Any) -> str:
    return "---\n" + yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


def version_page() -> str:
    """/status/version, in the layout of Prometheus' version.Print as Tempo prints it."""
    return (
        f"tempo-py, version {__version__} (branch: , revision: )\n"
        f"  build user:       \n"
        f"  build date:       \n"
        f"  go version:       python{platform.python_version()}\n"
        f"  platform:         {sys.platform}/{platform.machine()}\n"
        f"  tags:             unknown\n"
    )


def _route_regex(template: str) -> str:
    parts = re.split(r"(\{[^}]+\})", template)
    body = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return f"^{body}$"


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
        if not app.ready:
            return web.Response(status=503, text="not ready: starting up or shutting down\n")
        problem = app.backend_error
        if problem is not None:
            return web.Response(status=503, text=f"not ready: backend unreachable: {problem}\n")
        return web.Response(text="ready\n")

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
        def both() -> bytes:
            # tempo_py's own series, then the same values under Grafana Tempo's names
            return generate_latest(REGISTRY) + generate_latest(TEMPO_NAMES_REGISTRY)

        body = await asyncio.to_thread(both)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def flush(_: web.Request) -> web.Response:
        written = await app.flush()
        return web.Response(
            status=204 if written == 0 else 200, text="" if written == 0 else f"flushed {written} blocks\n"
        )

    async def shutdown(_: web.Request) -> web.Response:
        app.request_stop()  # the main loop stops receivers, flushes and exits
        return web.Response(text="shutting down: flushing and stopping\n")

    def config_page(request: web.Request) -> str:
        mode = request.query.get("mode", "")
        if mode == "":
            return _yaml(app.config_dict())
        if mode == "defaults":
            return _yaml(Config().to_dict(mask_secrets=True))
        if mode == "diff":
            return _yaml(diff_config(Config().to_dict(mask_secrets=True), app.config_dict()))
        raise web.HTTPBadRequest(text=f"unknown value for mode query parameter: {mode}\n")

    def runtime_config_page(request: web.Request) -> str:
        current = app.config_dict().get("overrides", {})
        data = {"defaults": current.get("defaults", {}), "overrides": current.get("per_tenant", {})}
        if request.query.get("mode") == "diff":
            defaults = data["defaults"]
            data = {"overrides": {t: diff_config(defaults, o) for t, o in data["overrides"].items()}}
        return _yaml(data)

    def services_page(_: web.Request) -> str:
        return _table(["service name", "status", "failure case"], sorted(app.services()))

    def endpoints_page(request: web.Request) -> str:
        rows = sorted(
            {
                (r.resource.canonical, _route_regex(r.resource.canonical))
                for r in request.app.router.routes()
                if r.resource is not None
            }
        )
        return _table(["name", "regex"], rows) + f"\nAPI documentation: {API_DOCS}\n\n"

    pages: dict[str, Callable[[web.Request], str]] = {
        "version": lambda _: version_page(),
        "services": services_page,
        "endpoints": endpoints_page,
        "runtime_config": runtime_config_page,
        "config": config_page,
    }

    async def status(request: web.Request) -> web.Response:
        name = request.match_info.get("page")
        if name is not None and name not in pages:
            raise web.HTTPNotFound(text=f"no status page {name!r} (pages: {', '.join(pages)})\n")
        names = [name] if name is not None else list(pages)
        body = "".join(f"GET /status/{n}\n" + pages[n](request) for n in names)
        return web.Response(text=body, content_type="text/plain")

    async def overrides(request: web.Request) -> web.Response:
        """Tempo's /status/overrides (tenants with overrides) and /status/overrides/{tenant}."""
        current = app.config_dict().get("overrides", {})
        per_tenant: dict[str, Any] = current.get("per_tenant", {})
        tenant = request.match_info.get("tenant")
        if tenant is None:
            return web.Response(text=_yaml({"tenants": sorted(per_tenant)}), content_type="text/plain")
        limits = {**current.get("defaults", {}), **per_tenant.get(tenant, {})}
        return web.Response(text=_yaml({"tenant": tenant, "overrides": limits}), content_type="text/plain")

    async def config(request: web.Request) -> web.Response:
        return web.Response(text=config_page(request), content_type="text/plain")

    return [
        web.get("/ready", ready),
        web.get("/api/echo", echo),
        web.get("/api/status/buildinfo", buildinfo),
        web.get("/metrics", metrics),
        # POST only: a GET can be triggered cross-site (an <img> tag, a link preview) or by a
        # crawler, and these change state; aiohttp answers GET with 405 Method Not Allowed.
        web.post("/flush", guarded(flush)),
        web.post("/shutdown", guarded(shutdown)),
        # the config may name buckets and hosts: behind the same guard as before
        web.get("/status/config", guarded(config)),
        web.get("/status/overrides", guarded(overrides)),
        web.get("/status/overrides/{tenant}", guarded(overrides)),
        web.get("/status", guarded(status)),
        web.get("/status/{page}", guarded(status)),
    ]
