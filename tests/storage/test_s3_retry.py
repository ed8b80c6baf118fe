"""S3Store retries, proven over real HTTP: a fault-injecting reverse proxy in front of moto's server."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from tempo_py.storage.base import ObjectNotFound, StorageError
from tempo_py.storage.retry import RetryPolicy
from tempo_py.storage.s3 import S3Store
from tests.support.moto_server import MotoS3

_HOP_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "expect", "keep-alive"}
_FAST_RETRY = RetryPolicy(attempts=4, base_delay=0.001, max_delay=0.005)


def _s3_error(status: int, code: str) -> web.Response:
    body = f"<?xml version='1.0'?><Error><Code>{code}</Code><Message>injected</Message></Error>"
    return web.Response(status=status, body=body.encode(), content_type="application/xml")


class FaultyProxy:
    """Forwards S3 requests to moto, except that queued faults answer the next requests instead.

    Faults: an HTTP status code as text ("503", "500", "403"), "reset" (TCP RST), "hang" (never
    answer, so the client times out) and "lost-500" (forward, then answer 500 as if the response of
    a successful write was lost).
    """

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.faults: list[str] = []
        self.requests: list[str] = []
        self.released = asyncio.Event()
        self.session = aiohttp.ClientSession(auto_decompress=False)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(request.method)
        fault = self.faults.pop(0) if self.faults else ""
        if fault == "503":
            return _s3_error(503, "SlowDown")
        if fault == "500":
            return _s3_error(500, "InternalError")
        if fault == "403":
            return _s3_error(403, "AccessDenied")
        if fault == "reset":
            assert request.transport is not None
            sock = request.transport.get_extra_info("socket")
            # Linger 0 turns close into a RST: the client sees "connection reset by peer".
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            request.transport.abort()
            return web.Response()
        if fault == "hang":
            await self.released.wait()
            return web.Response()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
        async with self.session.request(
            request.method, self.upstream + request.path_qs, headers=headers, data=body
        ) as upstream:
            payload = await upstream.read()
            out_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_HEADERS}
            status = upstream.status
        if fault == "lost-500":
            return _s3_error(500, "InternalError")
        return web.Response(status=status, headers=out_headers, body=payload)


@pytest.fixture
async def proxy(moto_s3: MotoS3) -> AsyncIterator[tuple[FaultyProxy, str]]:
    faulty = FaultyProxy(moto_s3.endpoint)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", faulty.handle)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield faulty, f"http://{host}:{port}"
    faulty.released.set()
    await runner.cleanup()
    await faulty.session.close()


@pytest.fixture
async def store(moto_s3: MotoS3, s3_bucket: str, proxy: tuple[FaultyProxy, str]) -> AsyncIterator[S3Store]:
    s = S3Store(
        s3_bucket,
        endpoint=proxy[1],
        region=moto_s3.region,
        access_key=moto_s3.access_key,
        secret_key=moto_s3.secret_key,
        forcepathstyle=True,
        retry=_FAST_RETRY,
        read_timeout=0.5,
        connect_timeout=1.0,
    )
    yield s
    await s.close()


async def test_5xx_retried_until_success(store: S3Store, proxy: tuple[FaultyProxy, str]) -> None:
    faulty = proxy[0]
    faulty.faults = ["503", "500"]
    await store.put("k", b"value")
    assert faulty.requests == ["PUT", "PUT", "PUT"]
    assert await store.get("k") == b"value"


async def test_retries_exhausted_raise_storage_error(store: S3Store, proxy: tuple[FaultyProxy, str]) -> None:
    faulty = proxy[0]
    faulty.faults = ["503"] * 10
    with pytest.raises(StorageError, match="SlowDown"):
        await store.get("k")
    assert len(faulty.requests) == _FAST_RETRY.attempts


async def test_forbidden_fails_at_once(store: S3Store, proxy: tuple[FaultyProxy, str]) -> None:
    faulty = proxy[0]
    faulty.faults = ["403", "403"]
    with pytest.raises(StorageError, match="AccessDenied") as info:
        await store.put("k", b"v")
    assert not isinstance(info.value, ObjectNotFound)
    assert faulty.requests == ["PUT"]


async def test_missing_object_not_retried(store: S3Store, proxy: tuple[FaultyProxy, str]) -> None:
    with pytest.raises(ObjectNotFound):
        await store.get_range("absent", 0, 10)
    assert proxy[0].requests == ["GET"]


async def test_connection_reset_retried(store: S3Store, proxy: tuple[FaultyProxy, str]) -> None:
    faulty = proxy[0]
    await store.put("k", b"value")
    faulty.requests.clear()
    faulty.faults = ["reset"]
    assert await store.get("k") == b"value"
    assert faulty.requests == ["GET", "GET"]


async def test_read_timeout_retried(store: S3Store, proxy: tuple[FaultyProxy, str]) -> None:
    faulty = proxy[0]
    await store.put("k", b"value")
    faulty.requests.clear()
    faulty.faults = ["hang"]
    assert await store.list("") == ["k"]
    assert faulty.requests == ["GET", "GET"]


async def test_put_if_absent_survives_lost_response(store: S3Store, proxy: tuple[FaultyProxy, str]) -> None:
    faulty = proxy[0]
    # The first PUT lands but its answer is lost; the retry meets our own object (412).
    faulty.faults = ["lost-500"]
    assert await store.put_if_absent("lock", b"mine") is True
    assert faulty.requests[:2] == ["PUT", "PUT"]


async def test_put_if_absent_retry_sees_someone_elses_object(
    store: S3Store, proxy: tuple[FaultyProxy, str]
) -> None:
    faulty = proxy[0]
    await store.put("lock", b"theirs")
    faulty.faults = ["500"]
    assert await store.put_if_absent("lock", b"mine") is False
    assert await store.get("lock") == b"theirs"


async def test_unreachable_endpoint_is_storage_error(moto_s3: MotoS3) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        s = S3Store(
            "b", endpoint=f"http://127.0.0.1:{port}", access_key="a", secret_key="b", retry=_FAST_RETRY
        )
        try:
            with pytest.raises(StorageError, match="Could not connect"):
                await s.get("k")
        finally:
            await s.close()
