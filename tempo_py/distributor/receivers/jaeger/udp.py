"""Jaeger agent UDP receiver: Thrift compact (6831) or binary (6832) ``emitBatch`` datagrams."""

from __future__ import annotations

from typing import Literal

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tempo_py.distributor.receivers.jaeger.thrift_mapping import batch_to_otlp
from tempo_py.distributor.receivers.jaeger.thrift_model import decode_agent_datagram
from tempo_py.distributor.receivers.udp import DEFAULT_QUEUE_SIZE, QueuedUDPServer, start_udp_server
from tempo_py.push import PushFn
from tempo_py.tenant import SINGLE_TENANT


async def start_jaeger_udp(
    host: str,
    port: int,
    push: PushFn,
    *,
    protocol: Literal["compact", "binary"] = "compact",
    tenant: str = SINGLE_TENANT,
    queue_size: int = DEFAULT_QUEUE_SIZE,
) -> QueuedUDPServer:
    """Listen for agent datagrams on ``host:port``; each batch is pushed for ``tenant``."""
    label = f"jaeger_thrift_{protocol}"

    def decode(data: bytes) -> ExportTraceServiceRequest:
        return batch_to_otlp(decode_agent_datagram(data, protocol))

    return await start_udp_server(
        host, port, decode, push, tenant=tenant, protocol=label, queue_size=queue_size
    )
