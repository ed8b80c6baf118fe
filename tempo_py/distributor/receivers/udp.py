"""A UDP server that never blocks the event loop.

``datagram_received`` only puts the datagram on a bounded queue (dropping, and counting
``queue_full``, when it is full). A consumer task takes every datagram queued so far (up to
``MAX_BATCH`` or ``MAX_BATCH_BYTES``), decodes them in a worker thread so the loop keeps
receiving, merges them into one OTLP request and pushes it once, as the OpenTelemetry Collector's
batching does. Agents send one
span (X-Ray) or a few (Jaeger) per datagram, so a push per datagram would pay a WAL record and a
conversion per span. A bad datagram only costs itself: decode errors are counted, never raised.
The socket asks for a large receive buffer so bursts queue in the kernel instead of being lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable
from typing import Protocol

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tempo_py.distributor.receivers.attrs import span_count
from tempo_py.distributor.receivers.errors import DecodeError
from tempo_py.distributor.receivers.errors_metrics import count_received, record_drop
from tempo_py.push import InvalidSpans, PushError, PushFn

# Thrift/X-Ray agents fit a batch in one datagram; 65507 is the IPv4 UDP payload ceiling.
MAX_DATAGRAM_BYTES = 65_000
DEFAULT_QUEUE_SIZE = 10_000
MAX_BATCH = 512  # datagrams, and at most MAX_BATCH_BYTES, per push: bounds the latency of a batch
MAX_BATCH_BYTES = 1 << 20
RECEIVE_BUFFER_BYTES = 4 << 20


class Closeable(Protocol):
    """Something the app stops on shutdown."""

    async def close(self) -> None:
        """Stop accepting input, finish or abandon in-flight work, release the port."""


DatagramDecoder = Callable[[bytes], ExportTraceServiceRequest | None]
"""Decodes one datagram (None: nothing to push); raises DecodeError to have it counted.

Called from a worker thread, one batch at a time, so a decoder may keep state without locks."""


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
        decode: DatagramDecoder,
        push: PushFn,
        tenant: str,
        protocol: str,
    ) -> None:
        self._transport = transport
        self._queue = queue
        self._decode = decode
        self._push = push
        self._tenant = tenant
        self._protocol = protocol
        self._consumer = asyncio.create_task(self._consume(), name=f"udp-{protocol}")

    @property
    def port(self) -> int:
        """The bound port (useful when started on port 0)."""
        sockname = self._transport.get_extra_info("sockname")
        return int(sockname[1])

    def _decode_batch(self, batch: list[bytes]) -> tuple[ExportTraceServiceRequest, list[DecodeError]]:
        merged = ExportTraceServiceRequest()
        errors: list[DecodeError] = []
        for data in batch:
            try:
                request = self._decode(data)
            except DecodeError as exc:
                errors.append(exc)
                continue
            except Exception as exc:  # a decoder bug must not kill the receiver
                errors.append(DecodeError(repr(exc), "internal_error"))
                continue
            if request is not None:
                merged.resource_spans.extend(request.resource_spans)
        return merged, errors

    async def _consume(self) -> None:
        while True:
            batch = [await self._queue.get()]
            size = len(batch[0])
            while len(batch) < MAX_BATCH and size < MAX_BATCH_BYTES and not self._queue.empty():
                batch.append(self._queue.get_nowait())
                size += len(batch[-1])
            try:
                merged, errors = await asyncio.to_thread(self._decode_batch, batch)
                for exc in errors:
                    record_drop(self._protocol, exc.reason, str(exc))
                spans = span_count(merged)
                if spans:
                    count_received(self._protocol, spans)
                    await self._push(self._tenant, merged, self._protocol)
            except InvalidSpans as exc:
                record_drop(self._protocol, "invalid_span", str(exc))
            except PushError as exc:  # overloaded / stopping: the batch's datagrams are lost
                for _ in batch:
                    record_drop(self._protocol, type(exc).__name__.lower(), str(exc))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                record_drop(self._protocol, "internal_error", repr(exc))
            finally:
                for _ in batch:
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
    decode: DatagramDecoder,
    push: PushFn,
    *,
    tenant: str,
    protocol: str,
    queue_size: int = DEFAULT_QUEUE_SIZE,
    max_datagram_bytes: int = MAX_DATAGRAM_BYTES,
) -> QueuedUDPServer:
    """Bind ``host:port`` and start consuming into ``push`` for ``tenant``; ``protocol`` labels metrics."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=queue_size)
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _EnqueueProtocol(queue, protocol, max_datagram_bytes),
        local_addr=(host, port),
    )
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):  # the kernel caps it at net.core.rmem_max
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
    return QueuedUDPServer(transport, queue, decode, push, tenant, protocol)
