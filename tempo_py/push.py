"""The one call every receiver makes: hand decoded spans on, and the errors it may raise.

Receivers (OTLP, Jaeger, Zipkin, X-Ray) decode their wire format into an OTLP
``ExportTraceServiceRequest`` and await a :data:`PushFn`. The distributor validates, routes by
trace ID to ingesters and returns only once the spans are durable in a WAL (acknowledged means
durable). Errors are the exception types below, which each receiver maps to its protocol's reply.

This module is a floor below both the distributor and the ingester: the ingester raises
:class:`Overloaded` / :class:`Unavailable` and the distributor passes them through to the
receivers, so neither needs to import the other. It imports nothing from tempo_py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


class PushError(Exception):
    """Base class of push failures."""


class InvalidSpans(PushError):
    """The request (or all of its spans) is malformed; nothing was stored. Maps to 400."""


class Overloaded(PushError):
    """Memory or queue limits reached; nothing was stored. Maps to 429 / RESOURCE_EXHAUSTED."""

    def __init__(self, message: str, retry_after_s: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Unavailable(PushError):
    """Shutting down or not ready; nothing was stored. Maps to 503 / UNAVAILABLE."""

    def __init__(self, message: str, retry_after_s: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class PushResult:
    """What was accepted. ``rejected_spans`` > 0 means partial success (the rest are durable)."""

    accepted_spans: int
    rejected_spans: int = 0
    error_message: str = ""


PushFn = Callable[[str, ExportTraceServiceRequest, str], Awaitable[PushResult]]
"""``await push(tenant, request, protocol)``; protocol is a label such as "otlp_http"."""

PushRawFn = Callable[[str, ExportTraceServiceRequest, str, bytes], Awaitable[PushResult]]
"""``await push_raw(tenant, request, protocol, wire_bytes)``: a :data:`PushFn` that is also given the
request's protobuf encoding, so it can be forwarded as-is (no re-serialization) and counted as
received bytes. Receivers that parse protobuf bodies (OTLP/HTTP) take one optionally."""
