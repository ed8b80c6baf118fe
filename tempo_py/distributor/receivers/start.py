"""Start the enabled receivers (``distributor.receivers``) and return their closers."""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import grpc
from aiohttp import web

from tempo_py.distributor.distributor import Distributor
from tempo_py.distributor.receivers.jaeger.grpc_server import start_jaeger_grpc
from tempo_py.distributor.receivers.jaeger.http import jaeger_http_app
from tempo_py.distributor.receivers.jaeger.udp import start_jaeger_udp
from tempo_py.distributor.receivers.otlp.grpc_server import start_otlp_grpc
from tempo_py.distributor.receivers.otlp.http import otlp_http_app
from tempo_py.distributor.receivers.xray.udp import start_xray_udp
from tempo_py.distributor.receivers.zipkin.http import zipkin_http_app
from tempo_py.tenant import TenantOf

Closer = Callable[[], Awaitable[None]]

#: A listener address: (host, port).
Endpoint = tuple[str, int]


@dataclass(frozen=True)
class ReceiverSettings:
    """Where each receiver protocol listens (``None`` = off) and the largest request accepted.

    No defaults here: :func:`tempo_py.app.wiring.receiver_settings` maps them from
    ``distributor.receivers.*`` and ``distributor.max_request_bytes`` (the config schema holds the
    defaults).
    """

    otlp_grpc: Endpoint | None
    otlp_http: Endpoint | None
    jaeger_thrift_compact: Endpoint | None
    jaeger_thrift_binary: Endpoint | None
    jaeger_thrift_http: Endpoint | None
    jaeger_grpc: Endpoint | None
    zipkin: Endpoint | None
    xray: Endpoint | None
    max_request_bytes: int


@dataclass(frozen=True)
class ReceiverTls:
    """TLS of the TCP receivers, by :class:`ReceiverSettings` field name; a protocol absent is plain.

    Built (certificates loaded, every file checked) by :func:`tempo_py.app.tls.receiver_tls` from
    ``distributor.receivers.<protocol>.tls``. ``http``: ``otlp_http``, ``jaeger_thrift_http``,
    ``zipkin``; ``grpc``: ``otlp_grpc``, ``jaeger_grpc``.
    """

    http: Mapping[str, ssl.SSLContext]
    grpc: Mapping[str, grpc.ServerCredentials]


NO_TLS = ReceiverTls(http={}, grpc={})


class Serve(Protocol):
    """Serves an aiohttp app on host:port (over TLS given ``ssl_context``) for the process's lifetime."""

    def __call__(
        self,
        app: web.Application,
        host: str,
        port: int,
        *,
        auto_decompress: bool = True,
        ssl_context: ssl.SSLContext | None = None,
    ) -> Awaitable[None]: ...


async def start_receivers(
    settings: ReceiverSettings,
    distributor: Distributor,
    tenant_of: TenantOf,
    serve: Serve,
    tls: ReceiverTls = NO_TLS,
    zipkin_query_routes: Sequence[web.RouteDef] = (),
    jaeger_grpc_handlers: Sequence[grpc.GenericRpcHandler] = (),
) -> list[Closer]:
    """Start every enabled receiver. HTTP receivers are served through ``serve`` (closed with the app).

    ``tls`` gives the TCP receivers that serve TLS their context or credentials;
    ``zipkin_query_routes`` are served on the Zipkin receiver's port too (Zipkin's GET API on 9411),
    ``jaeger_grpc_handlers`` on the Jaeger gRPC receiver's (SamplingManager on 14250).
    """
    unknown = (set(tls.http) - {"otlp_http", "jaeger_thrift_http", "zipkin"}) | (
        set(tls.grpc) - {"otlp_grpc", "jaeger_grpc"}
    )
    if unknown:
        raise ValueError(f"TLS for receivers that cannot serve it: {sorted(unknown)}")
    closers: list[Closer] = []
    push = distributor.push  # every receiver is behind a PushFn; OTLP/HTTP also forwards wire bytes
    limit = settings.max_request_bytes
    if settings.otlp_grpc is not None:
        host, port = settings.otlp_grpc
        server = await start_otlp_grpc(
            host, port, push, tenant_of, limit, credentials=tls.grpc.get("otlp_grpc")
        )

        async def stop_grpc(server: object = server) -> None:
            await server.stop(5)  # type: ignore[attr-defined]

        closers.append(stop_grpc)
    if settings.otlp_http is not None:
        host, port = settings.otlp_http
        await serve(
            otlp_http_app(push, tenant_of, limit, push_raw=push),
            host,
            port,
            auto_decompress=False,
            ssl_context=tls.http.get("otlp_http"),
        )
    for udp, wire in ((settings.jaeger_thrift_compact, "compact"), (settings.jaeger_thrift_binary, "binary")):
        if udp is not None:
            host, port = udp
            closers.append((await start_jaeger_udp(host, port, push, protocol=wire)).close)  # type: ignore[arg-type]
    if settings.jaeger_thrift_http is not None:
        host, port = settings.jaeger_thrift_http
        await serve(
            jaeger_http_app(push, tenant_of=tenant_of, max_body_bytes=limit),
            host,
            port,
            auto_decompress=False,
            ssl_context=tls.http.get("jaeger_thrift_http"),
        )
    if settings.jaeger_grpc is not None:
        host, port = settings.jaeger_grpc
        grpc_server = await start_jaeger_grpc(
            host,
            port,
            push,
            tenant_of=tenant_of,
            max_message_bytes=limit,
            credentials=tls.grpc.get("jaeger_grpc"),
            extra_handlers=jaeger_grpc_handlers,
        )
        closers.append(grpc_server.close)
    if settings.zipkin is not None:
        host, port = settings.zipkin
        await serve(
            zipkin_http_app(
                push, tenant_of=tenant_of, max_body_bytes=limit, query_routes=zipkin_query_routes
            ),
            host,
            port,
            auto_decompress=False,
            ssl_context=tls.http.get("zipkin"),
        )
    if settings.xray is not None:
        host, port = settings.xray
        closers.append((await start_xray_udp(host, port, push)).close)
    return closers
