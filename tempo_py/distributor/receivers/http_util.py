"""Helpers shared by the HTTP receivers: bounded (gzip) bodies, tenants, error replies."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Callable
from typing import TypeVar

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

from tempo_py.distributor.receivers.errors import DecodeError
from tempo_py.distributor.receivers.errors_metrics import record_drop
from tempo_py.push import InvalidSpans, Overloaded, PushError, Unavailable
from tempo_py.tenant import TenantOf

T = TypeVar("T")

#: Bodies at least this large are decoded in a worker thread (:func:`decode_off_loop`). Below it
#: the thread hop (~50 us) costs more than the decode; above it a pure-Python decode (OTLP/JSON's
#: json_format, Zipkin's span mapping: ~1 s per few MiB) would hold up every other request.
OFF_LOOP_BYTES = 64 * 1024


async def decode_off_loop(decode: Callable[[bytes], T], body: bytes) -> T:
    """``decode(body)``: inline for small bodies, in a worker thread from :data:`OFF_LOOP_BYTES` up.

    In the thread the decode still takes the GIL, but the interpreter hands it back to the event
    loop every switch interval (5 ms), so ``/ready`` and other pushes keep being answered.
    """
    if len(body) < OFF_LOOP_BYTES:
        return decode(body)
    return await asyncio.to_thread(decode, body)


async def read_body(request: web.Request, max_bytes: int) -> bytes:
    """The request body, chunked or not, gunzipped, at most ``max_bytes`` on the wire and after.

    Decompression is ours and bounded (a gzip bomb stops at ``max_bytes + 1`` output bytes), so the
    app must be served with aiohttp's own ``auto_decompress`` off (receivers/start.py does).
    Raises DecodeError: reason "too_large", "unsupported_encoding" or "decode_error".
    """
    if request.content_length is not None and request.content_length > max_bytes:
        raise DecodeError(
            f"request body of {request.content_length} bytes exceeds the {max_bytes}-byte limit", "too_large"
        )
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.content.iter_chunked(1 << 16):
            size += len(chunk)
            if size > max_bytes:
                raise DecodeError(f"request body exceeds the {max_bytes}-byte limit", "too_large")
            chunks.append(chunk)
    except (HttpProcessingError, RequestPayloadError) as exc:
        raise DecodeError(f"cannot read body: {exc}") from exc
    body = b"".join(chunks)
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "deflate"):
        raise DecodeError(
            f"unsupported Content-Encoding {encoding!r} (use gzip or none)", "unsupported_encoding"
        )
    d = zlib.decompressobj(16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS)
    try:
        out = d.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise DecodeError(f"invalid {encoding} body: {exc}") from exc
    if len(out) > max_bytes or d.unconsumed_tail:
        raise DecodeError(f"decompressed body exceeds the {max_bytes}-byte limit", "too_large")
    if not d.eof:
        raise DecodeError(f"truncated {encoding} body")
    return out


def resolve_tenant(request: web.Request, tenant_of: TenantOf) -> str:
    """Tenant for the request: a missing one is 401, a malformed one 400 (as OTLP answers)."""
    try:
        return tenant_of(request.headers)
    except PermissionError as exc:
        raise web.HTTPUnauthorized(text=str(exc)) from exc
    except ValueError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc


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
