"""Start the receivers enabled in ``distributor.receivers`` and return their closers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

from aiohttp import web

from tempo_py.config import Config
from tempo_py.distributor.distributor import Distributor
from tempo_py.distributor.receivers.jaeger.grpc_server import start_jaeger_grpc
from tempo_py.distributor.receivers.jaeger.http import jaeger_http_app
from tempo_py.distributor.receivers.jaeger.udp import start_jaeger_udp
from tempo_py.distributor.receivers.otlp.grpc_server import start_otlp_grpc
from tempo_py.distributor.receivers.otlp.http import otlp_http_app
from tempo_py.distributor.receivers.xray.udp import start_xray_udp
from tempo_py.distributor.receivers.zipkin.http import zipkin_http_app

Closer = Callable[[], Awaitable[None]]


class Serve(Protocol):
    """Serves an aiohttp app on host:port for the lifetime of the process."""

    def __call__(
        self, app: web.Application, host: str, port: int, *, auto_decompress: bool = True
    ) -> Awaitable[None]: ...


async def start_receivers(
    cfg: Config, distributor: Distributor, tenant_of: Callable[[Mapping[str, str]], str], serve: Serve
) -> list[Closer]:
    """Start every enabled receiver. HTTP receivers are served through ``serve`` (closed with the app)."""
    closers: list[Closer] = []
    rc = cfg.distributor.receivers
    limit = cfg.distributor.max_request_bytes
    if rc.otlp is not None:
        if rc.otlp.protocols.grpc is not None:
            host, port = rc.otlp.protocols.grpc.host_port
            server = await start_otlp_grpc(host, port, distributor, tenant_of, limit)

            async def stop_grpc(server: object = server) -> None:
                await server.stop(5)  # type: ignore[attr-defined]

            closers.append(stop_grpc)
        if rc.otlp.protocols.http is not None:
            host, port = rc.otlp.protocols.http.host_port
            await serve(otlp_http_app(distributor, tenant_of, limit), host, port, auto_decompress=False)
    push = distributor.push
    if rc.jaeger is not None:
        jp = rc.jaeger.protocols
        for udp_cfg, wire in ((jp.thrift_compact, "compact"), (jp.thrift_binary, "binary")):
            if udp_cfg is not None:
                host, port = udp_cfg.host_port
                closers.append((await start_jaeger_udp(host, port, push, protocol=wire)).close)  # type: ignore[arg-type]
        if jp.thrift_http is not None:
            host, port = jp.thrift_http.host_port
            await serve(
                jaeger_http_app(push, tenant_of=tenant_of, max_body_bytes=limit),
                host,
                port,
                auto_decompress=False,
            )
        if jp.grpc is not None:
            host, port = jp.grpc.host_port
            grpc_server = await start_jaeger_grpc(
                host, port, push, tenant_of=tenant_of, max_message_bytes=limit
            )
            closers.append(grpc_server.close)
    if rc.zipkin is not None:
        host, port = rc.zipkin.host_port
        await serve(
            zipkin_http_app(push, tenant_of=tenant_of, max_body_bytes=limit),
            host,
            port,
            auto_decompress=False,
        )
    if rc.xray is not None:
        host, port = rc.xray.host_port
        closers.append((await start_xray_udp(host, port, push)).close)
    return closers
