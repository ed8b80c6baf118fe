"""A recording push function and OTLP lookups shared by the receiver tests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tempo_py.push import PushError, PushResult


class Recorder:
    """A PushFn that keeps every request; can be told to fail the next pushes."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ExportTraceServiceRequest, str]] = []
        self.fail_with: PushError | None = None
        self._changed = asyncio.Condition()

    async def __call__(self, tenant: str, request: ExportTraceServiceRequest, protocol: str) -> PushResult:
        if self.fail_with is not None:
            raise self.fail_with
        self.calls.append((tenant, request, protocol))
        async with self._changed:
            self._changed.notify_all()
        n = sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)
        return PushResult(accepted_spans=n)

    def spans(self) -> list[tuple[Resource, Span]]:
        """Every recorded span with its resource, in arrival order."""
        return [
            (rs.resource, span)
            for _, req, _ in self.calls
            for rs in req.resource_spans
            for ss in rs.scope_spans
            for span in ss.spans
        ]

    def by_name(self) -> dict[str, tuple[Resource, Span]]:
        """Spans keyed by name (tests use unique names)."""
        return {span.name: (res, span) for res, span in self.spans()}

    async def wait_spans(self, n: int, timeout: float = 10.0) -> None:
        """Wait until at least ``n`` spans were pushed."""

        async def _wait() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.spans()) >= n)

        await asyncio.wait_for(_wait(), timeout)


def value_of(v: AnyValue) -> object:
    """Python value of an AnyValue."""
    which = v.WhichOneof("value")
    return getattr(v, which) if which else None


def attrs(kvs: Iterable[KeyValue]) -> dict[str, object]:
    """Attribute list as a dict."""
    return {kv.key: value_of(kv.value) for kv in kvs}
