"""Jaeger agent UDP receiver: Thrift compact (6831) or binary (6832) ``emitBatch`` datagrams."""

from __future__ import annotations

from typing import Literal

from tempo_py.distributor.push import PushFn
from tempo_py.distributor.receivers.attrs import span_count
from tempo_py.distributor.receivers.errors_metrics import count_received
from tempo_py.distributor.receivers.jaeger.thrift_mapping import batch_to_otlp
from tempo_py.distributor.receivers.jaeger.thrift_model import decode_agent_datagram
from tempo_py.distributor.receivers.tenant import DEFAULT_TENANT
from tempo_py.distributor.receivers.udp import DEFAULT_QUEUE_SIZE, QueuedUDPServer, start_udp_server


async def start_jaeger_udp(
    host: str,
    port: int,
    push: PushFn,
    *,
    protocol: Literal["compact", "binary"] = "compact",
    tenant: str = DEFAULT_TENANT,
    queue_size: int = DEFAULT_QUEUE_SIZE,
) -> QueuedUDPServer:
    """Listen for agent datagrams on ``host:port``; each batch is pushed for ``tenant``."""
    label = f"jaeger_thrift_{protocol}"

    async def handle(data: bytes) -> None:
        request = batch_to_otlp(decode_agent_datagram(data, protocol))
        spans = span_count(request)
        if spans:
            count_received(label, spans)
            await push(tenant, request, label)

    return await start_udp_server(host, port, handle, protocol=label, queue_size=queue_size)
