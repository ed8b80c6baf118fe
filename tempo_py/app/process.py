"""Wires the modules of a target into one process: start order, background loops, stop order.

Start: storage -> blocklist -> ingesters (WAL replay) -> distributor -> receivers -> HTTP API,
then /ready turns 200. Stop (SIGTERM, /shutdown): close receivers (stop accepting), cut and flush
every ingester, close the WAL, stop the API. A Kubernetes rolling restart therefore loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import ssl
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from tempo_py.app import wiring
from tempo_py.app.admin import admin_routes
from tempo_py.app.listeners import listeners, preflight
from tempo_py.app.tempo_metrics import install_tempo_names, request_metrics_middleware
from tempo_py.app.tls import receiver_tls, server_ssl_context
from tempo_py.app.xray_sampling import start_xray_sampling, xray_sampling_service
from tempo_py.block.blocklist import Blocklist
from tempo_py.block.cache import BlockCaches
from tempo_py.compactor.compactor import Compactor
from tempo_py.config import Config
from tempo_py.distributor.distributor import Distributor
from tempo_py.distributor.receivers.start import start_receivers
from tempo_py.ingester.convert_pool import ConvertPool
from tempo_py.ingester.ingester import Ingester
from tempo_py.querier.catalog.backend import Backend
from tempo_py.querier.catalog.routes import jaeger_root_routes, query_api_routes, query_backend
from tempo_py.querier.metrics.api import querier_metrics_routes
from tempo_py.querier.querier import Querier
from tempo_py.querier.search_api import querier_search_routes
from tempo_py.querier.trace_api import trace_routes
from tempo_py.querier.zipkin.api import zipkin_routes
from tempo_py.sampling.jaeger.grpc_server import sampling_handler
from tempo_py.sampling.jaeger.start import JaegerSampling
from tempo_py.sampling.xray.http import xray_sampling_routes
from tempo_py.storage.base import ObjectStore
from tempo_py.tenant import tenant_resolver
from tempo_py.ui.routes import ui_routes

log = logging.getLogger(__name__)

Closer = Callable[[], Awaitable[None]]


@dataclass
class App:
    """A running tempo_py process; also the :class:`~tempo_py.app.admin.AdminTarget` of its admin routes."""

    cfg: Config
    store: ObjectStore | None = None
    blocklist: Blocklist | None = None
    ingesters: list[Ingester] = field(default_factory=list)
    distributor: Distributor | None = None
    querier: Querier | None = None
    pool: ConvertPool | None = None
    ready: bool = False
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)
    _receivers: list[Closer] = field(default_factory=list)
    _runners: list[web.AppRunner] = field(default_factory=list)
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    _bg_stop: asyncio.Event = field(default_factory=asyncio.Event)
    _backend_error: str | None = None
    _started: bool = False
    _jaeger_sampling: JaegerSampling | None = None

    def has(self, module: str) -> bool:
        """Whether this process runs ``module`` (distributor, ingester, querier, compactor)."""
        return self.cfg.target in ("all", module)

    async def start(self) -> None:
        """Start every module of the target."""
        cfg = self.cfg
        preflight(listeners(cfg))  # a port in use or a host that does not resolve, named first
        self.store = wiring.make_store(cfg)
        self.blocklist = Blocklist(
            self.store, builder=self.has("compactor"), poll_interval_s=cfg.storage.trace.blocklist_poll
        )
        auth = cfg.server.auth
        basic = {user: (u.password, u.tenant or user) for user, u in auth.basic.items()}
        tenant_of = tenant_resolver(cfg.multitenancy_enabled, tokens=auth.tokens, basic=basic)
        auth_on = bool(auth.tokens or basic)
        # Certificates are loaded before anything starts, so a bad TLS setting stops startup at once.
        rx_tls = receiver_tls(cfg.distributor.receivers)
        if self.has("ingester"):
            self.pool = ConvertPool(workers=cfg.ingester.convert_workers)
            settings = wiring.ingester_settings(cfg)
            block_settings = wiring.block_settings(cfg)
            wal_root = Path(cfg.storage.trace.wal.path)
            tail_sampler = wiring.tail_sampler(cfg)
            for i in range(cfg.distributor.ingester_count):
                ing = Ingester(
                    f"ingester-{i}",
                    wal_root / f"ingester-{i}",
                    self.store,
                    self.blocklist,
                    settings,
                    block_settings,
                    self.pool,
                )
                ing.flush_filter = tail_sampler
                await ing.replay()
                self.ingesters.append(ing)
        if self.has("querier"):
            self.querier = Querier(
                self.store,
                self.blocklist,
                list(self.ingesters),
                BlockCaches(),
                concurrency=wiring.querier_concurrency(cfg),
                gate=wiring.query_gate(cfg),
            )
        http = web.Application(
            client_max_size=cfg.distributor.max_request_bytes + 1, middlewares=[request_metrics_middleware]
        )
        # With auth configured the admin endpoints need credentials too (any tenant's: they act on all).
        http.add_routes(admin_routes(self, authenticate=tenant_of if auth_on else None))
        xray = xray_sampling_service(cfg)
        if xray is not None:
            http.add_routes(xray_sampling_routes(xray))
            await start_xray_sampling(cfg, xray, self._serve)
        sampling = wiring.jaeger_sampling_settings(cfg)
        if sampling.enabled:
            self._jaeger_sampling = JaegerSampling(sampling, self.store)
            http.add_routes(self._jaeger_sampling.routes())
            observer = self._jaeger_sampling.observer
            if observer is not None:
                for ing in self.ingesters:
                    ing.observers.append(observer)
            await self._jaeger_sampling.start(self._serve, self._bg_stop)
        query_apis: Backend | None = None
        if self.querier is not None:
            http.add_routes(trace_routes(self.querier, tenant_of))
            http.add_routes(querier_search_routes(self.querier, wiring.search_settings(cfg), tenant_of))
            http.add_routes(querier_metrics_routes(self.querier, wiring.metrics_settings(cfg), tenant_of))
            # Jaeger under /jaeger, Zipkin under /zipkin (Tempo owns /api/traces/{id}); the UI at /ui
            budget = wiring.search_settings(cfg).max_bytes_per_query
            query_apis = query_backend(self.querier, budget, tenant_of)
            http.add_routes(query_api_routes(query_apis))
            http.add_routes(ui_routes())
        if self.has("distributor") and self.ingesters:
            self.distributor = Distributor(list(self.ingesters), wiring.distributor_settings(cfg))
            # Zipkin's GET API also on the Zipkin receiver's port, as a Zipkin server has it on 9411
            zipkin_get = zipkin_routes(query_apis) if query_apis is not None else []
            self._receivers = await start_receivers(
                wiring.receiver_settings(cfg),
                self.distributor,
                tenant_of,
                self._serve,
                rx_tls,
                zipkin_query_routes=zipkin_get,
                # jaeger-collector answers GetSamplingStrategy on its gRPC port (14250) too
                jaeger_grpc_handlers=(
                    [sampling_handler(self._jaeger_sampling.strategies)] if self._jaeger_sampling else []
                ),
            )
        tls = cfg.server.http_tls_config
        api_ssl = server_ssl_context(tls.cert_file, tls.key_file, tls.client_auth_type, tls.client_ca_file)
        await self._serve(
            http, cfg.server.http_listen_address, cfg.server.http_listen_port, ssl_context=api_ssl
        )
        jaeger_query = cfg.querier.jaeger_query
        if query_apis is not None and jaeger_query.listen_port:
            # Jaeger's API at jaeger-query's own paths (and the UI) on a port of its own
            jaeger_http = web.Application()
            jaeger_http.add_routes([*jaeger_root_routes(query_apis), *ui_routes()])
            host = jaeger_query.listen_address or cfg.server.http_listen_address
            await self._serve(jaeger_http, host, jaeger_query.listen_port, ssl_context=api_ssl)
        for ing in self.ingesters:
            self._tasks.append(asyncio.create_task(ing.run(self._bg_stop)))
        self._tasks.append(asyncio.create_task(self.blocklist.run(self._bg_stop)))
        if self.has("compactor"):
            compactor = Compactor(
                self.store,
                wiring.compactor_settings(cfg),
                wiring.block_settings(cfg),
                blocklist=self.blocklist,
            )
            self._tasks.append(asyncio.create_task(compactor.run(self._bg_stop)))
        install_tempo_names(cfg, self.blocklist)
        await self._probe_backend()
        self._tasks.append(asyncio.create_task(self._probe_loop()))
        self._started = True
        self.ready = True
        log.info("tempo_py ready: target=%s, listening: %s", cfg.target, ", ".join(map(str, listeners(cfg))))

    async def _probe_backend(self, timeout_s: float = 10.0) -> None:
        """One LIST of a prefix holding nothing: /ready is 503 while the object store fails it."""
        assert self.store is not None
        try:
            await asyncio.wait_for(self.store.list("tempo-py-ready-probe/"), timeout_s)
        except TimeoutError:
            problem: str | None = f"{self.cfg.storage.trace.backend} did not answer within {timeout_s:g}s"
        except Exception as exc:
            problem = f"{self.cfg.storage.trace.backend}: {type(exc).__name__}: {exc}"
        else:
            problem = None
        if problem != self._backend_error:
            if problem is None:
                log.info("backend reachable again")
            else:
                log.warning("backend unreachable: %s", problem)
        self._backend_error = problem

    async def _probe_loop(self, interval_s: float = 5.0) -> None:
        while not self._bg_stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._bg_stop.wait(), interval_s)
            if not self._bg_stop.is_set():
                await self._probe_backend()

    @property
    def backend_error(self) -> str | None:
        """Why the object store failed its last probe (None: it answered)."""
        return self._backend_error

    def services(self) -> list[tuple[str, str, str]]:
        """(name, state, failure case) of each module this process runs, for /status/services."""
        state = "Running" if self.ready else ("Stopping" if self._started else "Starting")
        names = ["server", "store", "blocklist"]
        names += [ing.name for ing in self.ingesters]
        if self.querier is not None:
            names.append("querier")
        if self.distributor is not None:
            names += ["distributor", "receivers"]
        if self.has("compactor"):
            names.append("compactor")
        return [(n, state, (self._backend_error or "") if n == "store" else "") for n in names]

    async def _serve(
        self,
        app: web.Application,
        host: str,
        port: int,
        *,
        auto_decompress: bool = True,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        # Receivers that gunzip themselves (bounded, against gzip bombs) turn aiohttp's own off.
        runner = web.AppRunner(app, access_log=None, handle_signals=False, auto_decompress=auto_decompress)
        await runner.setup()
        await web.TCPSite(runner, host, port, reuse_address=True, ssl_context=ssl_context).start()
        self._runners.append(runner)

    async def flush(self) -> int:
        """Cut and flush every ingester now; returns blocks written."""
        written = 0
        for ing in self.ingesters:
            written += await ing.cut(force=True)
        return written

    async def stop(self) -> None:
        """Stop accepting, flush, close. Safe to call once."""
        self.ready = False
        for close in self._receivers:
            try:
                await close()
            except Exception:
                log.exception("closing a receiver failed")
        try:
            await self.flush()
        except Exception:
            log.exception("final flush failed; the WAL keeps the data for the next start")
        self._bg_stop.set()
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for ing in self.ingesters:
            await ing.close()
        if self._jaeger_sampling is not None:
            await self._jaeger_sampling.close()
        for runner in reversed(self._runners):
            await runner.cleanup()
        if self.pool is not None:
            self.pool.close()
        if self.store is not None:
            await self.store.close()

    def request_stop(self) -> None:
        """Ask the main loop to stop (signal handlers, /shutdown)."""
        self.stop_event.set()

    def config_dict(self) -> dict[str, Any]:
        """The running configuration for /status/config, secrets masked."""
        return self.cfg.to_dict(mask_secrets=True)


async def serve(cfg: Config) -> None:
    """Run until SIGTERM/SIGINT or /shutdown, then stop cleanly."""
    import signal

    # The event loop shares the GIL with search and flush threads; with CPython's default 5 ms
    # switch interval each of its wake-ups can wait that long behind them, and a request needs
    # several. 1 ms keeps /ready and pushes answering within a few ms of a long search.
    sys.setswitchinterval(0.001)
    app = App(cfg)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, app.request_stop)
    await app.start()
    print(f"tempo-py listening: {', '.join(map(str, listeners(cfg)))} (pid {os.getpid()})", flush=True)
    await app.stop_event.wait()
    await app.stop()


__all__ = ["App", "serve"]
