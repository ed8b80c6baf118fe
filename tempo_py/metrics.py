"""Prometheus metrics of the distributor, ingester and querier (default registry, served at /metrics).

Receivers, storage and the compactor define theirs next to their code; all land in one registry.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

SPANS_RECEIVED = Counter(
    "tempo_distributor_spans_received_total", "Spans accepted (durable).", ["tenant", "protocol"]
)
SPANS_REFUSED = Counter(
    "tempo_distributor_spans_refused_total", "Spans refused.", ["tenant", "protocol", "reason"]
)
# Tempo's name and labels: spans dropped before the WAL, by why (see distributor.REASON_*)
DISCARDED_SPANS = Counter("tempo_discarded_spans_total", "Spans discarded.", ["reason", "tenant"])
BYTES_RECEIVED = Counter(
    "tempo_distributor_bytes_received_total", "Request bytes received.", ["tenant", "protocol"]
)
WAL_BYTES = Gauge("tempo_ingester_wal_bytes", "Bytes in WAL segments on disk.", ["ingester"])
LIVE_TRACES = Gauge("tempo_ingester_live_traces", "Traces held in memory.", ["ingester"])
LIVE_BYTES = Gauge("tempo_ingester_live_bytes", "Bytes of span data held in memory.", ["ingester"])
BLOCKS_FLUSHED = Counter("tempo_ingester_blocks_flushed_total", "Blocks written to the backend.", ["tenant"])
FLUSH_SECONDS = Histogram(
    "tempo_ingester_flush_duration_seconds",
    "Time to cut and flush a block.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
FLUSH_FAILURES = Counter("tempo_ingester_flush_failures_total", "Failed flushes (retried).")
QUERY_SECONDS = Histogram(
    "tempo_query_duration_seconds",
    "Query latency.",
    ["endpoint"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
