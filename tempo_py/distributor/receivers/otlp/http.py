"""OTLP/HTTP receiver: ``POST /v1/traces`` with protobuf or JSON bodies, per the OTLP spec.

Replies: 200 ExportTraceServiceResponse (partial_success when spans were rejected); 400 with a
google.rpc.Status for bad data; 401 without a tenant when multitenancy is on; 413 over
``max_request_bytes`` (checked on the wire and again while gunzipping, against gzip bombs); 415
for other content types; 429/503 with Retry-After when overloaded or stopping. Responses use the
request's encoding (protobuf or JSON).
"""

from __future__ import annotations

import logging
import math

from aiohttp import web
from google.protobuf import json_format
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tempo_py.distributor.receivers.errors import DecodeError
from tempo_py.distributor.receivers.http_util import decode_off_loop, read_body
from tempo_py.distributor.receivers.otlp.json_decode import OTLPJSONError, decode_otlp_json
from tempo_py.push import InvalidSpans, Overloaded, PushFn, PushRawFn, PushResult, Unavailable
from tempo_py.tenant import TenantOf

log = logging.getLogger(__name__)

PROTOBUF = "application/x-protobuf"
JSON = "application/json"


def _reply(kind: str, status: int, message: object, headers: dict[str, str] | None = None) -> web.Response:
    if kind == JSON:
        text = json_format.MessageToJson(message, indent=None)
        return web.Response(status=status, text=text, content_type=JSON, headers=headers)
    return web.Response(
        status=status,
        body=message.SerializeToString(),  # type: ignore[attr-defined]
        content_type=PROTOBUF,
        headers=headers,
    )


def _error(kind: str, status: int, code: int, text: str, retry_after: float | None = None) -> web.Response:
    log.info("OTLP/HTTP request refused with %d: %s", status, text)
    headers = {"Retry-After": str(max(1, math.ceil(retry_after)))} if retry_after is not None else None
    return _reply(kind, status, status_pb2.Status(code=code, message=text), headers)


def _ok(kind: str, result: PushResult) -> web.Response:
    resp = ExportTraceServiceResponse()
    if result.rejected_spans:
        resp.partial_success.rejected_spans = result.rejected_spans
        resp.partial_success.error_message = result.error_message
    return _reply(kind, 200, resp)


def otlp_http_app(
    push: PushFn, tenant_of: TenantOf, max_request_bytes: int, *, push_raw: PushRawFn | None = None
) -> web.Application:
    """The aiohttp application serving ``POST /v1/traces``.

    Protobuf bodies go to ``push_raw`` with their wire bytes when given (the distributor forwards
    them without re-serializing and counts received bytes); JSON bodies, or all bodies without
    ``push_raw``, go to ``push``.
    """

    async def export(request: web.Request) -> web.Response:
        ctype = request.content_type.lower()
        if ctype not in (PROTOBUF, JSON):
            return _error(PROTOBUF, 415, 3, f"unsupported content type {ctype!r}: use {PROTOBUF} or {JSON}")
        try:
            tenant = tenant_of(request.headers)
        except PermissionError as e:
            return _error(ctype, 401, 16, str(e))
        except ValueError as e:
            return _error(ctype, 400, 3, str(e))
        try:
            body = await read_body(request, max_request_bytes)
        except DecodeError as e:
            if e.reason == "too_large":
                return _error(ctype, 413, 8, str(e))
            return _error(ctype, 400, 3, str(e))
        try:
            if ctype == PROTOBUF:
                req = ExportTraceServiceRequest()
                try:
                    req.ParseFromString(body)
                except Exception as e:  # protobuf raises DecodeError (and others for bad UTF-8)
                    return _error(ctype, 400, 3, f"invalid OTLP protobuf body: {e}")
                if push_raw is not None:
                    result = await push_raw(tenant, req, "otlp_http", body)
                else:
                    result = await push(tenant, req, "otlp_http")
            else:
                try:
                    # json_format is pure Python: a large body is decoded off the event loop
                    req = await decode_off_loop(decode_otlp_json, body)
                except OTLPJSONError as e:
                    return _error(ctype, 400, 3, str(e))
                result = await push(tenant, req, "otlp_http")
        except InvalidSpans as e:
            return _error(ctype, 400, 3, str(e))
        except Overloaded as e:
            return _error(ctype, 429, 8, str(e), e.retry_after_s)
        except Unavailable as e:
            return _error(ctype, 503, 14, str(e), e.retry_after_s)
        return _ok(ctype, result)

    app = web.Application(client_max_size=max_request_bytes + 1)
    app.router.add_post("/v1/traces", export)
    return app
