"""X-Ray daemon UDP receiver: ``{"format":"json","version":1}\\n<segment JSON>`` datagrams.

In-progress segments: an SDK may send a segment with ``in_progress: true`` (no end time) and the
completed document later under the same ID. Both are pushed; the completed span always has
``end >= start`` while the in-progress one has ``end == start`` plus ``aws.xray.inprogress``, so
a reader de-duplicating by span ID should keep the one with the larger end time. Because UDP can
reorder, an in-progress document arriving after the completed one (remembered in a bounded LRU)
is skipped and counted as ``reason="in_progress_superseded"``.
"""

from __future__ import annotations

import json
from collections import OrderedDict

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tempo_py.distributor.receivers.errors import DecodeError
from tempo_py.distributor.receivers.errors_metrics import PAYLOADS_DROPPED
from tempo_py.distributor.receivers.udp import DEFAULT_QUEUE_SIZE, QueuedUDPServer, start_udp_server
from tempo_py.distributor.receivers.xray.segments import segment_to_otlp
from tempo_py.push import PushFn
from tempo_py.tenant import SINGLE_TENANT

PROTOCOL = "xray_udp"
_COMPLETED_MEMORY = 10_000


def split_datagram(data: bytes) -> bytes:
    """The segment JSON of a daemon-protocol datagram, after checking its header line."""
    header, sep, body = data.partition(b"\n")
    if not sep:
        raise DecodeError("datagram has no header line")
    try:
        parsed = json.loads(header)
    except ValueError as exc:
        raise DecodeError(f"bad header line: {exc}") from exc
    if not isinstance(parsed, dict) or parsed.get("format") != "json" or parsed.get("version") != 1:
        raise DecodeError(f"unsupported header {header[:80]!r}", "unsupported")
    return body


class _Completed:
    """Bounded memory of (trace id, segment id) pairs already seen completed."""

    def __init__(self, size: int) -> None:
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._size = size

    def add(self, key: tuple[str, str]) -> None:
        self._seen[key] = None
        self._seen.move_to_end(key)
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key in self._seen


async def start_xray_udp(
    host: str,
    port: int,
    push: PushFn,
    tenant: str = SINGLE_TENANT,
    *,
    queue_size: int = DEFAULT_QUEUE_SIZE,
) -> QueuedUDPServer:
    """Listen for X-Ray SDK datagrams on ``host:port``; each document is pushed for ``tenant``."""
    completed = _Completed(_COMPLETED_MEMORY)

    def decode(data: bytes) -> ExportTraceServiceRequest | None:
        body = split_datagram(data)
        try:
            doc = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise DecodeError(f"segment is not JSON: {exc}") from exc
        request = segment_to_otlp(doc)  # validates the shape, so doc is a dict below
        key = (str(doc.get("trace_id")), str(doc.get("id")))
        if doc.get("in_progress") is True:
            if key in completed:
                PAYLOADS_DROPPED.labels(protocol=PROTOCOL, reason="in_progress_superseded").inc()
                return None
        else:
            completed.add(key)
        return request

    return await start_udp_server(
        host, port, decode, push, tenant=tenant, protocol=PROTOCOL, queue_size=queue_size
    )
