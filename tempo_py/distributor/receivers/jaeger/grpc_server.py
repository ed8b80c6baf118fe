"""Jaeger collector gRPC endpoint: ``jaeger.api_v2.CollectorService/PostSpans`` (port 14250)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc
from google.protobuf.message import DecodeError as ProtoDecodeError

from tempo_py.distributor.receivers.attrs import span_count
from tempo_py.distributor.receivers.errors import DecodeError
from tempo_py.distributor.receivers.errors_metrics import count_received, record_drop
from tempo_py.distributor.receivers.jaeger import api_v2
from tempo_py.distributor.receivers.jaeger.proto_mapping import batch_to_otlp
from tempo_py.push import InvalidSpans, Overloaded, PushError, PushFn, Unavailable
from tempo_py.tenant import SINGLE_TENANT, TenantOf, tenant_resolver

PROTOCOL = "jaeger_grpc"


class JaegerGRPCServer:
    """A running grpc.aio server; ``close`` stops it with a short grace period."""

    def __init__(self, server: grpc.aio.Server, port: int) -> None:
        self._server = server
        self.port = port

    async def close(self, grace_s: float = 2.0) -> None:
        """Stop accepting calls; in-flight calls get ``grace_s`` to finish."""
        await self._server.stop(grace_s)


def _status_of(exc: PushError) -> grpc.StatusCode:
    if isinstance(exc, InvalidSpans):
        return grpc.StatusCode.INVALID_ARGUMENT
    if isinstance(exc, Overloaded):
        return grpc.StatusCode.RESOURCE_EXHAUSTED
    if isinstance(exc, Unavailable):
        return grpc.StatusCode.UNAVAILABLE
    return grpc.StatusCode.INTERNAL


def _handler(push: PushFn, tenant_of: TenantOf) -> grpc.GenericRpcHandler:
    async def post_spans(raw: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
        metadata = {str(k): v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}
        try:
            tenant = tenant_of(metadata)
        except PermissionError as exc:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, str(exc))
        except ValueError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        try:
            try:
                request = api_v2.PostSpansRequest.FromString(raw)
            except (ProtoDecodeError, ValueError) as exc:
                raise DecodeError(f"bad PostSpansRequest: {exc}") from exc
            otlp = batch_to_otlp(request.batch)
            spans = span_count(otlp)
            if spans:
                count_received(PROTOCOL, spans)
                await push(tenant, otlp, PROTOCOL)
        except DecodeError as exc:
            record_drop(PROTOCOL, exc.reason, str(exc))
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except PushError as exc:
            record_drop(PROTOCOL, type(exc).__name__.lower(), str(exc))
            await context.abort(_status_of(exc), str(exc))
        return bytes(api_v2.PostSpansResponse().SerializeToString())

    method = grpc.unary_unary_rpc_method_handler(
        post_spans,
        request_deserializer=None,  # raw bytes: we decode ourselves to answer INVALID_ARGUMENT
        response_serializer=None,
    )
    return grpc.method_handlers_generic_handler(api_v2.SERVICE, {"PostSpans": method})


async def start_jaeger_grpc(
    host: str,
    port: int,
    push: PushFn,
    *,
    tenant_of: TenantOf | None = None,
    max_message_bytes: int,
    credentials: grpc.ServerCredentials | None = None,
    extra_handlers: Sequence[grpc.GenericRpcHandler] = (),
) -> JaegerGRPCServer:
    """Serve PostSpans on ``host:port`` (0 picks a free port; see ``.port``); TLS with ``credentials``.

    ``extra_handlers`` share the port, as jaeger-collector serves SamplingManager beside PostSpans."""
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.so_reuseport", 0),
        ]
    )
    server.add_generic_rpc_handlers(
        (_handler(push, tenant_of or tenant_resolver(True, default=SINGLE_TENANT)), *extra_handlers)
    )
    address = f"{host}:{port}"
    if credentials is not None:
        bound = server.add_secure_port(address, credentials)
    else:
        bound = server.add_insecure_port(address)
    if bound == 0:
        raise OSError(f"cannot bind Jaeger gRPC receiver to {host}:{port}")
    await server.start()
    return JaegerGRPCServer(server, bound)
