"""Jaeger remote sampling in a process: its settings, and start/stop of the file poll, the adaptive
loop, the sampling port's HTTP app and the gRPC server."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tempo_py.sampling.jaeger.adaptive import AdaptiveSampler, AdaptiveSettings, RootSpanCounter
from tempo_py.sampling.jaeger.grpc_server import start_sampling_grpc
from tempo_py.sampling.jaeger.http import sampling_routes
from tempo_py.sampling.jaeger.service import SamplingStrategies
from tempo_py.sampling.jaeger.strategies_file import StrategiesFile
from tempo_py.storage.base import ObjectStore

__all__ = ["JaegerSampling", "JaegerSamplingSettings"]

Serve = Callable[[web.Application, str, int], Awaitable[None]]


@dataclass(frozen=True)
class JaegerSamplingSettings:
    """``sampling.jaeger``, mapped by :func:`tempo_py.app.wiring.jaeger_sampling_settings`."""

    enabled: bool
    strategies_file: str | None
    reload_interval_s: float
    http: tuple[str, int] | None  # the sampling port (jaeger-agent's 5778)
    grpc: tuple[str, int] | None
    adaptive_enabled: bool
    adaptive: AdaptiveSettings


@dataclass
class JaegerSampling:
    """The running parts; ``observer`` (adaptive only) goes into each ingester's ``observers``."""

    settings: JaegerSamplingSettings
    store: ObjectStore
    strategies: SamplingStrategies = field(init=False)
    observer: RootSpanCounter | None = field(init=False, default=None)
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        s = self.settings
        adaptive = None
        if s.adaptive_enabled:
            self.observer = RootSpanCounter()
            process_id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            adaptive = AdaptiveSampler(self.store, s.adaptive, process_id, self.observer)
        self.strategies = SamplingStrategies(StrategiesFile(s.strategies_file), adaptive)

    def routes(self) -> list[web.RouteDef]:
        """``/sampling`` and ``/api/sampling`` for the query port."""
        return sampling_routes(self.strategies)

    async def start(self, serve: Serve, stop: asyncio.Event) -> None:
        """Listen on the sampling port and the gRPC port; start the reload and adaptive loops."""
        s = self.settings
        if s.http is not None:
            app = web.Application()
            app.add_routes(self.routes())
            await serve(app, *s.http)
        if s.grpc is not None:
            server = await start_sampling_grpc(*s.grpc, self.strategies)
            self._closers.append(server.close)
        self._tasks.append(asyncio.create_task(self.strategies.file.run(s.reload_interval_s, stop)))
        if self.strategies.adaptive is not None:
            self._tasks.append(asyncio.create_task(self.strategies.adaptive.run(stop)))

    async def close(self) -> None:
        """Stop the gRPC server and the loops."""
        for close in self._closers:
            await close()
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
