"""A UDP server that never blocks the event loop.

``datagram_received`` only puts the datagram on a bounded queue (dropping, and counting
``queue_full``, when it is full); a consumer task decodes each datagram and awaits the handler.
Decoding and pushing therefore happen off the hot path, a slow distributor only costs queued
datagrams, and a bad datagram only costs itself: handler errors are counted, never raised.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Protocol

from tempo_py.distributor.push import InvalidSpans, PushError
from tempo_py.distributor.receivers.errors_metrics import record_drop

# Thrift/X-Ray agents fit a batch in one datagram; 65507 is the IPv4 UDP payload ceiling.
MAX_DATAGRAM_BYTES = 65_000
DEFAULT_QUEUE_SIZE = 1_000


class Closeable(Protocol):
    """Something the app stops on shutdown."""

    async def close(self) -> None:
        """Stop accepting input, finish or abandon in-flight work, release the port."""


class DecodeError(ValueError):
    """A payload could not be decoded; ``reason`` labels the drop counter."""

    def __init__(self, message: str, reason: str = "decode_error") -> None:
        super().__init__(message)
        self.reason = reason


DatagramHandler = Callable[[bytes], Awaitable[None]]
"""Decodes one datagram and pushes it; raises DecodeError / PushError to have it counted."""


class _EnqueueProtocol(asyncio.DatagramProtocol):
    def __init__(self, queue: asyncio.Queue[bytes], protocol: str, max_bytes: int) -> None:
        self._queue = queue
        self._protocol = protocol
        self._max_bytes = max_bytes

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        if len(data) > self._max_bytes:
            record_drop(self._protocol, "too_large", f"{len(data)} bytes")
            return
        try:
            self._queue.put_nowait(data)
        except asyncio.QueueFull:
            record_drop(self._protocol, "queue_full", "consumer is behind")

    def error_received(self, exc: Exception) -> None:
        record_drop(self._protocol, "socket_error", repr(exc))


class QueuedUDPServer:
    """A bound UDP socket, its bounded queue and the consumer task; see the module docstring."""

    def __init__(
        self,
        transport: asyncio.DatagramTransport,
        queue: asyncio.Queue[bytes],
        handler: DatagramHandler,
        protocol: str,
    ) -> None:
        self._transport = transport
        self._queue = queue
        self._handler = handler
        self._protocol = protocol
        self._consumer = asyncio.create_task(self._consume(), name=f"udp-{protocol}")

    @property
    def port(self) -> int:
        """The bound port (useful when started on port 0)."""
        sockname = self._transport.get_extra_info("sockname")
        return int(sockname[1])

    async def _consume(self) -> None:
        while True:
            data = await self._queue.get()
            try:
                await self._handler(data)
            except DecodeError as exc:
                record_drop(self._protocol, exc.reason, str(exc))
            except InvalidSpans as exc:
                record_drop(self._protocol, "invalid_span", str(exc))
            except PushError as exc:
                record_drop(self._protocol, type(exc).__name__.lower(), str(exc))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a handler bug must not kill the receiver
                record_drop(self._protocol, "internal_error", repr(exc))
            finally:
                self._queue.task_done()

    async def drain(self) -> None:
        """Wait until every queued datagram has been handled (tests; graceful shutdown)."""
        await self._queue.join()

    async def close(self, drain_timeout_s: float = 5.0) -> None:
        """Stop receiving, give queued datagrams up to ``drain_timeout_s`` to finish, stop."""
        self._transport.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), drain_timeout_s)
        self._consumer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._consumer


async def start_udp_server(
    host: str,
    port: int,
    handler: DatagramHandler,
    *,
    protocol: str,
    queue_size: int = DEFAULT_QUEUE_SIZE,
    max_datagram_bytes: int = MAX_DATAGRAM_BYTES,
) -> QueuedUDPServer:
    """Bind ``host:port`` and start consuming; ``protocol`` labels the metrics."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=queue_size)
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _EnqueueProtocol(queue, protocol, max_datagram_bytes),
        local_addr=(host, port),
    )
    return QueuedUDPServer(transport, queue, handler, protocol)
