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

# ------------------------------------------------------------------ Grafana Tempo's own names
# Series Tempo's mixin (dashboards and alerts) reads, with Tempo's names and labels. Values that
# other counters above already hold are re-exported under Tempo's names by
# tempo_py.app.tempo_metrics (the list of what exists and what cannot: docs/configuration.md).

BUILD_INFO = Gauge(
    "tempo_build_info",
    "A metric with a constant '1' value labeled by version, revision, branch and goversion.",
    ["version", "revision", "branch", "goversion"],
)
# dskit's HTTP instrumentation: one series per route template (``api_traces_traceid``), method,
# status code; ``ws`` is always "false" (no websockets).
REQUEST_DURATION = Histogram(
    "tempo_request_duration_seconds",
    "Time (in seconds) spent serving HTTP requests.",
    ["method", "route", "status_code", "ws"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100),
)
QUERIES = Counter(
    "tempo_query_frontend_queries_total",
    "Total queries received per tenant.",
    ["tenant", "op", "result"],
)
BACKEND_REQUEST_DURATION = Histogram(
    "tempodb_backend_request_duration_seconds",
    "Time spent doing backend storage requests.",
    ["operation", "status_code"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
