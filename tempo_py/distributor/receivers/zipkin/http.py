"""Zipkin HTTP endpoints (port 9411): ``POST /api/v2/spans`` (JSON or protobuf) and ``/api/v1/spans``,
plus whatever ``query_routes`` the caller adds (the process adds Zipkin's GET query API, as a
Zipkin server answers both on 9411).

Replies 202 once the spans are pushed (durable); 400 for undecodable bodies or spans without IDs,
413 for oversized bodies, 415 for unsupported media types, 429/503 when the distributor pushes back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tempo_py.distributor.receivers.attrs import span_count
from tempo_py.distributor.receivers.errors import DecodeError
from tempo_py.distributor.receivers.errors_metrics import count_received
from tempo_py.distributor.receivers.http_util import (
    decode_off_loop,
    error_response,
    read_body,
    resolve_tenant,
)
from tempo_py.distributor.receivers.zipkin.mapping import spans_to_otlp
from tempo_py.distributor.receivers.zipkin.model import ZipkinSpan
from tempo_py.distributor.receivers.zipkin.v1_json import decode_v1_json
from tempo_py.distributor.receivers.zipkin.v2_json import decode_v2_json
from tempo_py.distributor.receivers.zipkin.v2_proto import decode_v2_proto
from tempo_py.push import PushError, PushFn
from tempo_py.tenant import SINGLE_TENANT, TenantOf, tenant_resolver

Decoder = Callable[[bytes], list[ZipkinSpan]]

_V2: dict[str, tuple[str, Decoder]] = {
    "application/json": ("zipkin_v2_json", decode_v2_json),
    "application/x-protobuf": ("zipkin_v2_proto", decode_v2_proto),
    "application/protobuf": ("zipkin_v2_proto", decode_v2_proto),
}
_V1: dict[str, tuple[str, Decoder]] = {"application/json": ("zipkin_v1_json", decode_v1_json)}


def _decode(decode: Decoder, body: bytes) -> ExportTraceServiceRequest:
    try:
        return spans_to_otlp(decode(body))
    except DecodeError:
        raise
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # Hostile JSON reaches conversions the decoders do not all guard (huge numbers, odd
        # types); whatever the body made fail is the body's fault: a 400, never a 500.
        raise DecodeError(f"invalid zipkin span: {exc!r}", "invalid_span") from exc


def zipkin_http_app(
    push: PushFn,
    *,
    tenant_of: TenantOf | None = None,
    max_body_bytes: int,
    query_routes: Sequence[web.RouteDef] = (),
) -> web.Application:
    """An aiohttp app serving the Zipkin span-ingest endpoints (and ``query_routes``)."""
    resolve = tenant_of or tenant_resolver(True, default=SINGLE_TENANT)

    def handler(decoders: dict[str, tuple[str, Decoder]]) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def post_spans(request: web.Request) -> web.Response:
            # Zipkin clients often omit Content-Type; JSON is the protocol's default.
            content_type = request.content_type if "Content-Type" in request.headers else "application/json"
            if content_type not in decoders:
                label = next(iter(decoders.values()))[0]
                return error_response(
                    label,
                    DecodeError(
                        f"unsupported Content-Type {content_type!r}; use one of {sorted(decoders)}",
                        "unsupported_content_type",
                    ),
                )
            label, decode = decoders[content_type]
            tenant = resolve_tenant(request, resolve)
            try:
                body = await read_body(request, max_body_bytes)
                # JSON parsing and the span mapping are Python: large bodies go off the event loop
                otlp = await decode_off_loop(lambda raw: _decode(decode, raw), body)
                spans = span_count(otlp)
                if spans:
                    count_received(label, spans)
                    await push(tenant, otlp, label)
            except (DecodeError, PushError) as exc:
                return error_response(label, exc)
            return web.Response(status=202)

        return post_spans

    app = web.Application(client_max_size=max_body_bytes)
    app.router.add_post("/api/v2/spans", handler(_V2))
    app.router.add_post("/api/v1/spans", handler(_V1))
    app.add_routes(query_routes)
    return app
