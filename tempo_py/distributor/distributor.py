"""Distributor: validate spans, route each trace to one ingester by a hash of its ID, await durability.

The only per-span work here is reading a few scalar fields (IDs, kind, status code) of the
decoded protobuf: fast enough for the ack path (ARCHITECTURE.md: ~400k spans/s). Spans that
would not survive conversion (bad ID lengths, out-of-range enums) are rejected here, before the
WAL, so an acknowledged span can always be converted later.
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Protocol

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tempo_py.metrics import BYTES_RECEIVED, SPANS_RECEIVED, SPANS_REFUSED
from tempo_py.push import InvalidSpans, PushResult

_ZERO16 = bytes(16)
_ZERO8 = bytes(8)


class IngesterClient(Protocol):
    """What the distributor needs of an ingester (in-process today, remote later)."""

    async def push(self, tenant: str, payload: bytes, trace_ids: list[bytes]) -> None:
        """Durably store one OTLP request; raise Overloaded/Unavailable when it cannot."""
        ...


def span_problem(trace_id: bytes, span_id: bytes, parent: bytes, kind: int, status: int) -> str | None:
    """Why a span is invalid, or None."""
    if len(trace_id) != 16 or trace_id == _ZERO16:
        return "trace ID must be 16 bytes and not all zero"
    if len(span_id) != 8 or span_id == _ZERO8:
        return "span ID must be 8 bytes and not all zero"
    if parent and len(parent) != 8:
        return "parent span ID must be empty or 8 bytes"
    if not 0 <= kind <= 5:
        return f"span kind {kind} out of range"
    if not 0 <= status <= 2:
        return f"status code {status} out of range"
    return None


def ingester_for(trace_id: bytes, n: int) -> int:
    """The ingester that owns a trace (stable across processes and restarts)."""
    return zlib.crc32(trace_id) % n if n > 1 else 0


class Distributor:
    """Receives decoded requests from every receiver: its ``push`` is a ``tempo_py.push.PushFn`` (and,
    given the wire bytes as ``raw``, a ``PushRawFn``)."""

    def __init__(self, ingesters: list[IngesterClient]) -> None:
        if not ingesters:
            raise ValueError("distributor needs at least one ingester")
        self.ingesters = ingesters

    async def push(
        self, tenant: str, request: ExportTraceServiceRequest, protocol: str, raw: bytes | None = None
    ) -> PushResult:
        """Validate, route and store; returns once every accepted span is durable."""
        n = len(self.ingesters)
        owner_of: dict[bytes, int] = {}
        total = rejected = 0
        first_problem = ""
        for rs in request.resource_spans:
            for ss in rs.scope_spans:
                for sp in ss.spans:
                    total += 1
                    tid = sp.trace_id
                    problem = span_problem(tid, sp.span_id, sp.parent_span_id, sp.kind, sp.status.code)
                    if problem is not None:
                        rejected += 1
                        first_problem = first_problem or problem
                        continue
                    if tid not in owner_of:
                        owner_of[tid] = ingester_for(tid, n)
        if raw is not None:
            BYTES_RECEIVED.labels(tenant, protocol).inc(len(raw))
        if rejected:
            SPANS_REFUSED.labels(tenant, protocol, "invalid").inc(rejected)
            if rejected == total:
                raise InvalidSpans(f"all {total} spans rejected: {first_problem}")
            request = _without_invalid(request)
            raw = None
        if total == 0:
            return PushResult(accepted_spans=0)
        owners = set(owner_of.values())
        if len(owners) == 1:
            (owner,) = owners
            payload = raw if raw is not None else request.SerializeToString()
            await self.ingesters[owner].push(tenant, payload, list(owner_of))
        else:
            parts = _split(request, owner_of, n)
            await asyncio.gather(
                *(
                    self.ingesters[i].push(
                        tenant, part.SerializeToString(), [t for t, o in owner_of.items() if o == i]
                    )
                    for i, part in parts.items()
                )
            )
        accepted = total - rejected
        SPANS_RECEIVED.labels(tenant, protocol).inc(accepted)
        msg = f"{rejected} spans rejected: {first_problem}" if rejected else ""
        return PushResult(accepted_spans=accepted, rejected_spans=rejected, error_message=msg)


def _without_invalid(request: ExportTraceServiceRequest) -> ExportTraceServiceRequest:
    out = ExportTraceServiceRequest()
    for rs in request.resource_spans:
        ors = out.resource_spans.add()
        ors.resource.CopyFrom(rs.resource)
        ors.schema_url = rs.schema_url
        for ss in rs.scope_spans:
            oss = ors.scope_spans.add()
            oss.scope.CopyFrom(ss.scope)
            oss.schema_url = ss.schema_url
            oss.spans.extend(
                sp
                for sp in ss.spans
                if span_problem(sp.trace_id, sp.span_id, sp.parent_span_id, sp.kind, sp.status.code) is None
            )
    return out


def _split(
    request: ExportTraceServiceRequest, owner_of: dict[bytes, int], n: int
) -> dict[int, ExportTraceServiceRequest]:
    """One request per owning ingester, keeping resource and scope groupings."""
    parts: dict[int, ExportTraceServiceRequest] = {}
    for rs in request.resource_spans:
        for ss in rs.scope_spans:
            buckets: dict[int, list[object]] = {}
            for sp in ss.spans:
                buckets.setdefault(owner_of[sp.trace_id], []).append(sp)
            for owner, spans in buckets.items():
                part = parts.get(owner)
                if part is None:
                    part = parts[owner] = ExportTraceServiceRequest()
                ors = part.resource_spans.add()
                ors.resource.CopyFrom(rs.resource)
                ors.schema_url = rs.schema_url
                oss = ors.scope_spans.add()
                oss.scope.CopyFrom(ss.scope)
                oss.schema_url = ss.schema_url
                oss.spans.extend(spans)
    return parts
