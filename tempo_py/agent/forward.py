"""From the queue to the distributors: batches as OTLP ``Export`` calls over gRPC, retried.

Settings: the agent config's ``forward`` section (:class:`tempo_py.config.agent.ForwardConfig`).

A batch is consecutive queued records; records of one tenant are sent as one request (their
serialized ``ExportTraceServiceRequest`` bytes concatenated: protobuf merges the repeated
``resource_spans``, so nothing is re-encoded), with the tenant in ``X-Scope-OrgID``. The batch is
acked in the queue only once every request of it succeeded.

Retried, for as long as it takes (the queue holds the data meanwhile): UNAVAILABLE (also what an
unreachable distributor gives), RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED and ABORTED, the gRPC
forms of 503 and 429. The wait is the reply's ``google.rpc.RetryInfo`` delay when it carries one
(the server's Retry-After), else exponential from ``retry_initial_interval``, both capped at
``retry_max_interval``. Any other status is permanent (e.g. INVALID_ARGUMENT): the request is
dropped and counted, as retrying it can never succeed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random

import grpc
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from tempo_py.agent.metrics import FORWARD_RETRIES, FORWARDED_SPANS, REJECTED_SPANS
from tempo_py.agent.queue import Batch, DiskQueue
from tempo_py.config.agent import ForwardConfig

log = logging.getLogger(__name__)

EXPORT_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
RETRYABLE = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.ABORTED,
    }
)


def retry_delay_of(err: grpc.aio.AioRpcError) -> float | None:
    """The ``RetryInfo`` delay in the error's ``grpc-status-details-bin`` trailer, if any."""
    for key, value in err.trailing_metadata() or ():
        if key != "grpc-status-details-bin" or not isinstance(value, bytes):
            continue
        status = status_pb2.Status()
        try:
            status.ParseFromString(value)
        except Exception:
            return None
        for detail in status.details:
            info = error_details_pb2.RetryInfo()
            if detail.Unpack(info):
                return float(info.retry_delay.seconds + info.retry_delay.nanos / 1e9)
    return None


def tenant_groups(batch: Batch) -> list[tuple[str, bytes, int]]:
    """Consecutive records of one tenant merged: (tenant, request bytes, spans)."""
    groups: list[tuple[str, list[bytes], int]] = []
    for rec in batch.records:
        if groups and groups[-1][0] == rec.tenant:
            tenant, parts, spans = groups[-1]
            parts.append(rec.payload)
            groups[-1] = (tenant, parts, spans + rec.spans)
        else:
            groups.append((rec.tenant, [rec.payload], rec.spans))
    return [(t, b"".join(parts), n) for t, parts, n in groups]


class Forwarder:
    """Drains a :class:`DiskQueue` into the distributors until :meth:`stop`."""

    def __init__(self, queue: DiskQueue, settings: ForwardConfig) -> None:
        self._queue = queue
        self._s = settings
        self._stopping = asyncio.Event()
        self._channel = grpc.aio.insecure_channel(
            settings.endpoint,
            options=[
                ("grpc.max_send_message_length", -1),
                ("grpc.enable_retries", 0),  # ours are the retries, with the queue behind them
                ("grpc.initial_reconnect_backoff_ms", 100),
                ("grpc.max_reconnect_backoff_ms", 2000),
            ],
        )
        self._export = self._channel.unary_unary(
            EXPORT_METHOD,
            request_serializer=None,  # the queue holds serialized requests
            response_deserializer=ExportTraceServiceResponse.FromString,
        )

    async def run(self) -> None:
        """Forward batch after batch; returns once stopped (the batch not delivered stays queued)."""
        s = self._s
        while not self._stopping.is_set():
            read = asyncio.ensure_future(
                self._queue.read_batch(s.batch_max_spans, s.batch_max_bytes, s.batch_timeout)
            )
            stop = asyncio.ensure_future(self._stopping.wait())
            await asyncio.wait({read, stop}, return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
            if not read.done():
                read.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await read
                break
            batch = read.result()
            if batch is None:
                break
            if not batch.records:
                continue
            if await self._deliver(batch):
                await self._queue.ack(batch.end)
            else:
                self._queue.rewind()
        self._queue.rewind()

    async def _deliver(self, batch: Batch) -> bool:
        for tenant, payload, spans in tenant_groups(batch):
            if not await self._send(tenant, payload, spans):
                return False
        return True

    async def _send(self, tenant: str, payload: bytes, spans: int) -> bool:
        """One request until it is accepted (True), refused for good (True, counted) or we stop."""
        attempt = 0
        while True:
            try:
                reply = await self._export(
                    payload, timeout=self._s.timeout, metadata=(("x-scope-orgid", tenant),)
                )
            except grpc.aio.AioRpcError as err:
                code = err.code()
                if code not in RETRYABLE:
                    REJECTED_SPANS.labels(code.name).inc(spans)
                    log.warning(
                        "distributor refused %d spans for good: %s %s", spans, code.name, err.details()
                    )
                    return True
                FORWARD_RETRIES.labels(code.name).inc()
                hinted = retry_delay_of(err)
                if hinted is not None:
                    delay = min(hinted, self._s.retry_max_interval)
                else:
                    delay = min(self._s.retry_initial_interval * 2**attempt, self._s.retry_max_interval)
                    delay *= random.uniform(0.8, 1.2)
                attempt += 1
                if attempt == 1 or attempt % 20 == 0:
                    log.info("forward failed (%s), retrying in %.2fs: %s", code.name, delay, err.details())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)
                if self._stopping.is_set():
                    return False
                continue
            rejected = reply.partial_success.rejected_spans
            if rejected:
                REJECTED_SPANS.labels("partial_success").inc(rejected)
                log.warning(
                    "distributor rejected %d spans: %s", rejected, reply.partial_success.error_message
                )
            FORWARDED_SPANS.inc(spans - rejected)
            return True

    def stop(self) -> None:
        """Stop after the call in flight (no further retries)."""
        self._stopping.set()

    async def close(self) -> None:
        """Close the channel."""
        await self._channel.close()
