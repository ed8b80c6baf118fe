"""Jaeger collector HTTP endpoint: ``POST /api/traces`` with a Thrift binary ``Batch`` (port 14268)."""

from __future__ import annotations

import asyncio

from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tempo_py.distributor.receivers.attrs import span_count
from tempo_py.distributor.receivers.errors import DecodeError
from tempo_py.distributor.receivers.errors_metrics import count_received
from tempo_py.distributor.receivers.http_util import (
    error_response,
    read_body,
    resolve_tenant,
)
from tempo_py.distributor.receivers.jaeger.thrift_mapping import batch_to_otlp
from tempo_py.distributor.receivers.jaeger.thrift_model import decode_batch_binary
from tempo_py.push import PushError, PushFn
from tempo_py.tenant import SINGLE_TENANT, TenantOf, tenant_resolver

PROTOCOL = "jaeger_thrift_http"
_CONTENT_TYPES = ("application/x-thrift", "application/vnd.apache.thrift.binary")


def _decode(body: bytes) -> ExportTraceServiceRequest:
    return batch_to_otlp(decode_batch_binary(body))


def jaeger_http_app(
    push: PushFn,
    *,
    tenant_of: TenantOf | None = None,
    max_body_bytes: int,
) -> web.Application:
    """An aiohttp app serving ``POST /api/traces``; 202 once the spans are pushed (durable)."""
    resolve = tenant_of or tenant_resolver(True, default=SINGLE_TENANT)

    async def post_traces(request: web.Request) -> web.Response:
        if request.content_type not in _CONTENT_TYPES:
            return error_response(
                PROTOCOL,
                DecodeError(
                    f"unsupported Content-Type {request.content_type!r}; use {' or '.join(_CONTENT_TYPES)}",
                    "unsupported_content_type",
                ),
            )
        tenant = resolve_tenant(request, resolve)
        try:
            body = await read_body(request, max_body_bytes)
            # In a worker thread: even bounded, a large batch's decode must not hold up the loop.
            otlp = await asyncio.to_thread(_decode, body)
            spans = span_count(otlp)
            if spans:
                count_received(PROTOCOL, spans)
                await push(tenant, otlp, PROTOCOL)
        except (DecodeError, PushError) as exc:
            return error_response(PROTOCOL, exc)
        return web.Response(status=202)

    app = web.Application(client_max_size=max_body_bytes)
    app.router.add_post("/api/traces", post_traces)
    return app
