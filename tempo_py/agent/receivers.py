"""The distributor's receivers, every protocol, started behind the agent's push instead."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from tempo_py.config.receivers import ReceiversConfig, endpoint_host_port
from tempo_py.distributor.receivers.jaeger.grpc_server import start_jaeger_grpc
from tempo_py.distributor.receivers.jaeger.http import jaeger_http_app
from tempo_py.distributor.receivers.jaeger.udp import start_jaeger_udp
from tempo_py.distributor.receivers.otlp.grpc_server import start_otlp_grpc
from tempo_py.distributor.receivers.otlp.http import otlp_http_app
from tempo_py.distributor.receivers.xray.udp import start_xray_udp
from tempo_py.distributor.receivers.zipkin.http import zipkin_http_app
from tempo_py.push import PushFn
from tempo_py.tenant import SINGLE_TENANT, tenant_resolver

Closer = Callable[[], Awaitable[None]]
ServeFn = Callable[[web.Application, str, int], Awaitable[None]]
"""Serves an aiohttp app (request bodies not auto-decompressed) on host:port until the agent stops."""


async def start_agent_receivers(
    rx: ReceiversConfig, push: PushFn, max_request_bytes: int, serve: ServeFn
) -> list[Closer]:
    """Start every receiver enabled in ``rx``; returns closers for the non-HTTP ones.

    The tenant is the request's ``X-Scope-OrgID`` when sent, else the single tenant, and travels
    on to the distributors with the spans (which ignore it unless multitenancy is on).
    """
    tenant_of = tenant_resolver(True, default=SINGLE_TENANT)
    closers: list[Closer] = []
    endpoints = rx.enabled()
    if "otlp.grpc" in endpoints:
        host, port = endpoint_host_port(endpoints["otlp.grpc"])
        server = await start_otlp_grpc(host, port, push, tenant_of, max_request_bytes)

        async def stop_grpc() -> None:
            await server.stop(5)

        closers.append(stop_grpc)
    if "otlp.http" in endpoints:
        host, port = endpoint_host_port(endpoints["otlp.http"])
        await serve(otlp_http_app(push, tenant_of, max_request_bytes), host, port)
    for name, wire in (("jaeger.thrift_compact", "compact"), ("jaeger.thrift_binary", "binary")):
        if name in endpoints:
            host, port = endpoint_host_port(endpoints[name])
            udp = await start_jaeger_udp(host, port, push, protocol=wire)  # type: ignore[arg-type]
            closers.append(udp.close)
    if "jaeger.thrift_http" in endpoints:
        host, port = endpoint_host_port(endpoints["jaeger.thrift_http"])
        await serve(jaeger_http_app(push, tenant_of=tenant_of, max_body_bytes=max_request_bytes), host, port)
    if "jaeger.grpc" in endpoints:
        host, port = endpoint_host_port(endpoints["jaeger.grpc"])
        jaeger_grpc = await start_jaeger_grpc(
            host, port, push, tenant_of=tenant_of, max_message_bytes=max_request_bytes
        )
        closers.append(jaeger_grpc.close)
    if "zipkin" in endpoints:
        host, port = endpoint_host_port(endpoints["zipkin"])
        await serve(zipkin_http_app(push, tenant_of=tenant_of, max_body_bytes=max_request_bytes), host, port)
    if "xray" in endpoints:
        host, port = endpoint_host_port(endpoints["xray"])
        closers.append((await start_xray_udp(host, port, push)).close)
    return closers
