"""Distributor: validate spans, route each trace to one ingester by a hash of its ID, await durability.

The only per-span work here is reading a few scalar fields (IDs, kind, status code) of the
decoded protobuf: fast enough for the ack path (ARCHITECTURE.md: ~400k spans/s). Spans that
would not survive conversion (bad ID lengths, out-of-range enums) are rejected here, before the
WAL, so an acknowledged span can always be converted later.

Spans whose time lies outside what the backend will keep are refused here too, in the same pass
(:func:`span_time_problem`): one that ended before the tenant's block retention window would be
acknowledged and then deleted by the compactor's next retention pass, and one dated far in the
future would pin its block past retention. Like Tempo's ingestion limits they are dropped per
span (partial success) and counted in ``tempo_discarded_spans_total{reason}``.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from dataclasses import dataclass
from typing import Protocol

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tempo_py.metrics import BYTES_RECEIVED, DISCARDED_SPANS, SPANS_RECEIVED, SPANS_REFUSED
from tempo_py.push import InvalidSpans, PushResult

_ZERO16 = bytes(16)
_ZERO8 = bytes(8)

# ``tempo_discarded_spans_total`` reasons. Where Tempo discards for the same cause the value is
# Tempo's (modules/overrides/discarded_spans.go): ``invalid_trace_id``, ``invalid_span_id``. The
# others are ours, for checks Tempo does not make: a parent ID, kind or status code out of range
# (``invalid_span``), and the retention and future-skew bounds (Tempo keeps such spans; its
# ``outside_ingestion_time_slack`` is a ``tempo_warnings_total`` reason for clamping a block's time
# range, not a discard, so reusing it here would mislead).
REASON_INVALID_TRACE_ID = "invalid_trace_id"
REASON_INVALID_SPAN_ID = "invalid_span_id"
REASON_INVALID = "invalid_span"
REASON_TOO_OLD = "outside_retention"
REASON_TOO_NEW = "too_far_in_future"
_INVALID_REASONS = (REASON_INVALID_TRACE_ID, REASON_INVALID_SPAN_ID, REASON_INVALID)


@dataclass(frozen=True)
class DistributorSettings:
    """What the distributor accepts; filled from the config by ``app/wiring.py``.

    ``block_retention_s`` / ``tenant_block_retention_s`` are the same values the compactor's
    retention uses, so a span is accepted only if its block would outlive the request.
    ``max_span_future_skew_s`` bounds how far past now a span may start or end; 0 turns it off.
    """

    block_retention_s: float
    tenant_block_retention_s: dict[str, float]
    max_span_future_skew_s: float

    def retention_for(self, tenant: str) -> float:
        """Seconds the compactor keeps ``tenant``'s blocks (the per-tenant value, else the default)."""
        return self.tenant_block_retention_s.get(tenant, self.block_retention_s)


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


def invalid_reason(trace_id: bytes, span_id: bytes) -> str:
    """The discard reason of a span :func:`span_problem` refused (checked in the same order)."""
    if len(trace_id) != 16 or trace_id == _ZERO16:
        return REASON_INVALID_TRACE_ID
    if len(span_id) != 8 or span_id == _ZERO8:
        return REASON_INVALID_SPAN_ID
    return REASON_INVALID


def span_time_problem(start_ns: int, end_ns: int, oldest_ns: int, newest_ns: int) -> tuple[str, str] | None:
    """``(reason, message)`` when a span's time lies outside ``[oldest_ns, newest_ns]``, else None.

    The span's latest timestamp decides the age, because retention deletes a block by its end
    time: a span that started 20 days ago but ended now is kept as long as any other. A missing
    end time (0) falls back to the start.
    """
    last = max(start_ns, end_ns)
    if last < oldest_ns:
        return REASON_TOO_OLD, "span ended before the retention window (it would be deleted at once)"
    if last > newest_ns:
        return REASON_TOO_NEW, "span time is too far in the future"
    return None


def ingester_for(trace_id: bytes, n: int) -> int:
    """The ingester that owns a trace (stable across processes and restarts)."""
    return zlib.crc32(trace_id) % n if n > 1 else 0


class Distributor:
    """Receives decoded requests from every receiver: its ``push`` is a ``tempo_py.push.PushFn`` (and,
    given the wire bytes as ``raw``, a ``PushRawFn``)."""

    def __init__(self, ingesters: list[IngesterClient], settings: DistributorSettings) -> None:
        if not ingesters:
            raise ValueError("distributor needs at least one ingester")
        self.ingesters = ingesters
        self.settings = settings

    def _time_bounds(self, tenant: str) -> tuple[int, int]:
        """Accepted span times for ``tenant`` now, in ns since the epoch (inclusive)."""
        now_ns = time.time_ns()
        retention_s = self.settings.retention_for(tenant)
        skew_s = self.settings.max_span_future_skew_s
        # retention <= 0 or skew 0: that bound is off (nothing the compactor would delete early)
        oldest = now_ns - int(retention_s * 1e9) if retention_s > 0 else 0
        newest = now_ns + int(skew_s * 1e9) if skew_s > 0 else 2**64
        return oldest, newest

    async def push(
        self, tenant: str, request: ExportTraceServiceRequest, protocol: str, raw: bytes | None = None
    ) -> PushResult:
        """Validate, route and store; returns once every accepted span is durable."""
        n = len(self.ingesters)
        oldest_ns, newest_ns = self._time_bounds(tenant)
        owner_of: dict[bytes, int] = {}
        total = rejected = 0
        first_problem = ""
        # (resource, scope, span) positions of refused spans, so the copy without them needs no
        # second validation pass
        refused: set[tuple[int, int, int]] = set()
        reasons: dict[str, int] = {}
        for ri, rs in enumerate(request.resource_spans):
            for si, ss in enumerate(rs.scope_spans):
                for pi, sp in enumerate(ss.spans):
                    total += 1
                    tid = sp.trace_id
                    problem = span_problem(tid, sp.span_id, sp.parent_span_id, sp.kind, sp.status.code)
                    if problem is not None:
                        reason = invalid_reason(tid, sp.span_id)
                    else:
                        timed = span_time_problem(
                            sp.start_time_unix_nano, sp.end_time_unix_nano, oldest_ns, newest_ns
                        )
                        if timed is not None:
                            reason, problem = timed
                    if problem is not None:
                        rejected += 1
                        refused.add((ri, si, pi))
                        reasons[reason] = reasons.get(reason, 0) + 1
                        first_problem = first_problem or problem
                        continue
                    if tid not in owner_of:
                        owner_of[tid] = ingester_for(tid, n)
        if raw is not None:
            BYTES_RECEIVED.labels(tenant, protocol).inc(len(raw))
        if rejected:
            for reason, count in reasons.items():
                DISCARDED_SPANS.labels(reason, tenant).inc(count)
                label = "invalid" if reason in _INVALID_REASONS else reason
                SPANS_REFUSED.labels(tenant, protocol, label).inc(count)
            if rejected == total:
                raise InvalidSpans(f"all {total} spans rejected: {first_problem}")
            request = _without(request, refused)
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


def _without(
    request: ExportTraceServiceRequest, refused: set[tuple[int, int, int]]
) -> ExportTraceServiceRequest:
    """A copy of ``request`` without the spans at the ``refused`` positions."""
    out = ExportTraceServiceRequest()
    for ri, rs in enumerate(request.resource_spans):
        ors = out.resource_spans.add()
        ors.resource.CopyFrom(rs.resource)
        ors.schema_url = rs.schema_url
        for si, ss in enumerate(rs.scope_spans):
            oss = ors.scope_spans.add()
            oss.scope.CopyFrom(ss.scope)
            oss.schema_url = ss.schema_url
            oss.spans.extend(sp for pi, sp in enumerate(ss.spans) if (ri, si, pi) not in refused)
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
