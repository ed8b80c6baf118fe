"""The agent process: start order, the push every receiver calls, /ready and /metrics, stop order.

Start: open the queue (recovering what a previous run left) → the forwarder → the HTTP port →
the receivers; then /ready answers 200. Push: add the Kubernetes attributes, serialize, append to
the queue and return once fsynced (acknowledged by the agent = durable on its disk); a full queue
is :class:`~tempo_py.push.Overloaded`, which the receivers answer with 429 / RESOURCE_EXHAUSTED.
Stop (SIGTERM): /ready 503, receivers stop, the forwarder finishes the call in flight (at most
``forward.shutdown_timeout``), the queue closes; what was not delivered is sent after the restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal

from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from tempo_py.agent.forward import Forwarder
from tempo_py.agent.k8s import K8sAttributes, add_resource_attributes
from tempo_py.agent.metrics import (
    ACCEPTED_SPANS,
    QUEUE_BYTES,
    QUEUE_CAPACITY_BYTES,
    QUEUE_PENDING_BYTES,
    REFUSED_SPANS,
)
from tempo_py.agent.queue import DiskQueue, QueueFull, RecordTooLarge
from tempo_py.agent.receivers import Closer, start_agent_receivers
from tempo_py.config.agent import AgentConfig
from tempo_py.push import InvalidSpans, Overloaded, PushResult, Unavailable

log = logging.getLogger(__name__)


def _span_count(request: ExportTraceServiceRequest) -> int:
    return sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)


class Agent:
    """One agent process."""

    def __init__(self, cfg: AgentConfig) -> None:
        self.cfg = cfg
        self.ready = False
        self.stop_event = asyncio.Event()
        q = cfg.queue
        self.queue = DiskQueue(q.path, q.max_bytes, q.segment_bytes)
        k = cfg.kubernetes
        self.attrs = K8sAttributes(
            k.cluster_name, k.node_name, k.pod_name, k.namespace_name, k.pod_uid
        ).as_dict()
        self.forwarder: Forwarder | None = None
        self._forward_task: asyncio.Task[None] | None = None
        self._closers: list[Closer] = []
        self._runners: list[web.AppRunner] = []
        self._stopping = False

    async def push(self, tenant: str, request: ExportTraceServiceRequest, protocol: str) -> PushResult:
        """The :data:`~tempo_py.push.PushFn` behind every receiver."""
        spans = _span_count(request)
        if spans == 0:
            return PushResult(accepted_spans=0)
        if self._stopping:
            REFUSED_SPANS.labels(protocol, "stopping").inc(spans)
            raise Unavailable("agent shutting down", retry_after_s=1.0)
        add_resource_attributes(request, self.attrs)
        try:
            await self.queue.append(tenant, request.SerializeToString(), spans)
        except QueueFull as exc:
            REFUSED_SPANS.labels(protocol, "queue_full").inc(spans)
            raise Overloaded(str(exc), retry_after_s=1.0) from None
        except RecordTooLarge as exc:
            REFUSED_SPANS.labels(protocol, "too_large").inc(spans)
            raise InvalidSpans(str(exc)) from None
        finally:
            self._gauges()
        ACCEPTED_SPANS.labels(protocol).inc(spans)
        return PushResult(accepted_spans=spans)

    def _gauges(self) -> None:
        QUEUE_BYTES.set(self.queue.used_bytes)
        QUEUE_PENDING_BYTES.set(self.queue.pending_records_bytes)

    async def start(self) -> None:
        """Recover the queue, start forwarding, then the HTTP port and the receivers."""
        await asyncio.to_thread(self.queue.open)
        QUEUE_CAPACITY_BYTES.set(self.cfg.queue.max_bytes)
        self._gauges()
        self.forwarder = Forwarder(self.queue, self.cfg.forward)
        self._forward_task = asyncio.create_task(self.forwarder.run())
        await self._serve(
            self._admin_app(), self.cfg.server.http_listen_address, self.cfg.server.http_listen_port
        )
        self._closers = await start_agent_receivers(
            self.cfg.receivers, self.push, self.cfg.max_request_bytes, self._serve
        )
        self.ready = True
        log.info(
            "tempo-py agent ready: forwarding to %s, queue %s (%d bytes pending)",
            self.cfg.forward.endpoint,
            self.cfg.queue.path,
            self.queue.pending_records_bytes,
        )

    def _admin_app(self) -> web.Application:
        async def ready(_: web.Request) -> web.Response:
            if self.ready:
                return web.Response(text="ready\n")
            return web.Response(status=503, text="not ready: starting up or shutting down\n")

        async def metrics(_: web.Request) -> web.Response:
            self._gauges()
            return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

        app = web.Application()
        app.add_routes([web.get("/ready", ready), web.get("/metrics", metrics)])
        return app

    async def _serve(self, app: web.Application, host: str, port: int) -> None:
        runner = web.AppRunner(app, access_log=None, handle_signals=False, auto_decompress=False)
        await runner.setup()
        await web.TCPSite(runner, host, port, reuse_address=True).start()
        self._runners.append(runner)

    async def stop(self) -> None:
        """Stop accepting, let the call in flight finish, close the queue."""
        self.ready = False
        self._stopping = True
        for close in self._closers:
            try:
                await close()
            except Exception:
                log.exception("closing a receiver failed")
        for runner in reversed(self._runners[1:]):  # receivers; the admin port last
            await runner.cleanup()
        if self.forwarder is not None and self._forward_task is not None:
            self.forwarder.stop()
            try:
                await asyncio.wait_for(asyncio.shield(self._forward_task), self.cfg.forward.shutdown_timeout)
            except TimeoutError:
                log.warning("the batch in flight did not finish in time; it stays queued")
                self._forward_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._forward_task
            await self.forwarder.close()
        await self.queue.close()
        if self._runners:
            await self._runners[0].cleanup()

    def request_stop(self) -> None:
        """Ask the main loop to stop (signal handlers)."""
        self.stop_event.set()


async def run_agent(cfg: AgentConfig) -> None:
    """Run until SIGTERM/SIGINT, then stop cleanly."""
    agent = Agent(cfg)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, agent.request_stop)
    await agent.start()
    print(
        f"tempo-py agent listening: http {cfg.server.http_listen_address}:{cfg.server.http_listen_port} "
        f"(pid {os.getpid()})",
        flush=True,
    )
    await agent.stop_event.wait()
    await agent.stop()
