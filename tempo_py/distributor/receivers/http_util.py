"""Helpers shared by the HTTP receivers: bounded (gzip) bodies, tenants, error replies."""

from __future__ import annotations

import zlib

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

from tempo_py.distributor.push import InvalidSpans, Overloaded, PushError, Unavailable
from tempo_py.distributor.receivers.errors_metrics import record_drop
from tempo_py.distributor.receivers.tenant import TenantOf
from tempo_py.distributor.receivers.udp import DecodeError

DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024


async def read_body(request: web.Request, max_bytes: int) -> bytes:
    """The request body, at most ``max_bytes`` after decompression.

    aiohttp already undoes ``Content-Encoding: gzip/deflate`` while streaming, so counting the
    streamed bytes also bounds what a small gzip bomb can inflate to.
    """
    if request.content_length is not None and request.content_length > max_bytes:
        raise DecodeError(f"body of {request.content_length} bytes exceeds {max_bytes}", "too_large")
    body = bytearray()
    try:
        async for chunk in request.content.iter_chunked(64 * 1024):
            body += chunk
            if len(body) > max_bytes:
                raise DecodeError(f"body exceeds {max_bytes} bytes", "too_large")
    except (HttpProcessingError, RequestPayloadError, zlib.error) as exc:
        raise DecodeError(f"cannot read body ({request.headers.get('Content-Encoding', '')}): {exc}") from exc
    return bytes(body)


def resolve_tenant(request: web.Request, tenant_of: TenantOf) -> str:
    """Tenant for the request; ``PermissionError`` from ``tenant_of`` becomes 401."""
    try:
        return tenant_of(request.headers)
    except PermissionError as exc:
        raise web.HTTPUnauthorized(text=str(exc)) from exc


def error_response(protocol: str, exc: Exception) -> web.Response:
    """Map a decode or push failure to the HTTP reply and count it."""
    if isinstance(exc, DecodeError):
        record_drop(protocol, exc.reason, str(exc))
        status = 413 if exc.reason == "too_large" else 415 if exc.reason.startswith("unsupported") else 400
        return web.Response(status=status, text=f"{exc}\n")
    if isinstance(exc, InvalidSpans):
        record_drop(protocol, "invalid_span", str(exc))
        return web.Response(status=400, text=f"{exc}\n")
    if isinstance(exc, Overloaded | Unavailable):
        record_drop(protocol, type(exc).__name__.lower(), str(exc))
        status = 429 if isinstance(exc, Overloaded) else 503
        return web.Response(
            status=status, text=f"{exc}\n", headers={"Retry-After": str(max(1, round(exc.retry_after_s)))}
        )
    if isinstance(exc, PushError):
        record_drop(protocol, "push_error", str(exc))
        return web.Response(status=500, text=f"{exc}\n")
    raise exc
