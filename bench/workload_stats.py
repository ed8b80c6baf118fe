"""Summary statistics of generated OTLP requests, for `python -m bench.workload --stats` and tests.

Works from the serialized requests only (not from generator internals), so it measures what a
receiver would see: trace sizes, error traces, span kinds, distinct operations, bytes per span.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

_KIND_NAMES = {0: "UNSPECIFIED", 1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}
_STATUS_ERROR = 2


def percentile(sorted_values: list[int], q: float) -> int:
    """Nearest-rank percentile of an ascending list (q in [0, 100])."""
    if not sorted_values:
        return 0
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


@dataclass
class WorkloadStats:
    """Accumulates statistics over serialized ExportTraceServiceRequests."""

    requests: int = 0
    total_bytes: int = 0
    spans: int = 0
    trace_sizes: list[int] = field(default_factory=list)
    error_traces: int = 0
    root_durations_ns: list[int] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    operations: set[tuple[str, str]] = field(default_factory=set)
    resources: set[str] = field(default_factory=set)
    scopes: set[tuple[str, str]] = field(default_factory=set)
    events: Counter[str] = field(default_factory=Counter)

    def add(self, body: bytes) -> None:
        """Account for one serialized request (which holds whole traces)."""
        request = ExportTraceServiceRequest.FromString(body)
        self.requests += 1
        self.total_bytes += len(body)
        per_trace: Counter[bytes] = Counter()
        failed: set[bytes] = set()
        for rs in request.resource_spans:
            attrs = {kv.key: kv.value.string_value for kv in rs.resource.attributes}
            service = attrs.get("service.name", "")
            self.resources.add(attrs.get("k8s.pod.name", service))
            for ss in rs.scope_spans:
                self.scopes.add((ss.scope.name, ss.scope.version))
                for span in ss.spans:
                    per_trace[span.trace_id] += 1
                    self.kinds[_KIND_NAMES.get(span.kind, "?")] += 1
                    self.operations.add((service, span.name))
                    if span.status.code == _STATUS_ERROR:
                        failed.add(span.trace_id)
                    if not span.parent_span_id:
                        self.root_durations_ns.append(span.end_time_unix_nano - span.start_time_unix_nano)
                    for event in span.events:
                        self.events[event.name] += 1
        self.spans += sum(per_trace.values())
        self.trace_sizes.extend(per_trace.values())
        self.error_traces += len(failed)

    def report(self) -> list[str]:
        """Human-readable lines."""
        sizes = sorted(self.trace_sizes)
        roots = sorted(self.root_durations_ns)
        n = len(sizes) or 1
        big = sum(1 for s in sizes if s >= 100)
        huge = sum(1 for s in sizes if s >= 1000)
        ms = 1e6
        largest = sizes[-1] if sizes else 0
        return [
            f"requests {self.requests}, traces {len(sizes)}, spans {self.spans}",
            f"protobuf bytes/span {self.total_bytes / max(1, self.spans):.0f} "
            f"({self.total_bytes / 1e6:.1f} MB)",
            f"trace size: mean {self.spans / n:.1f}, p50 {percentile(sizes, 50)}, "
            f"p90 {percentile(sizes, 90)}, p99 {percentile(sizes, 99)}, p99.9 {percentile(sizes, 99.9)}, "
            f"max {largest}",
            f"traces >= 100 spans {100 * big / n:.2f} %, >= 1000 spans {100 * huge / n:.3f} %",
            f"error traces {self.error_traces} ({100 * self.error_traces / n:.2f} %)",
            f"root duration ms: p50 {percentile(roots, 50) / ms:.1f}, p90 {percentile(roots, 90) / ms:.1f}, "
            f"p99 {percentile(roots, 99) / ms:.1f}, max {(roots[-1] if roots else 0) / ms:.1f}",
            "span kinds: "
            + ", ".join(f"{k} {100 * v / max(1, self.spans):.1f} %" for k, v in self.kinds.most_common()),
            f"events: {dict(self.events.most_common())}",
            f"services {len({s for s, _ in self.operations})}, operations (service, span name) "
            f"{len(self.operations)}, pods {len(self.resources)}, scopes {len(self.scopes)}",
        ]
