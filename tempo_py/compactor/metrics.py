"""Prometheus metrics of the compactor (default registry, served at /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

BLOCKS_COMPACTED = Counter(
    "tempo_compactor_blocks_compacted_total", "Input blocks merged into bigger blocks."
)
BYTES_IN = Counter(
    "tempo_compactor_bytes_in_total", "Bytes of input blocks (data.parquet) read by compactions."
)
BYTES_OUT = Counter("tempo_compactor_bytes_out_total", "Bytes of output blocks (data.parquet) written.")
SPANS_IN = Counter("tempo_compactor_spans_in_total", "Span rows read by compactions.")
DURATION = Histogram(
    "tempo_compactor_duration_seconds",
    "Time to run one compaction job.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
OUTSTANDING = Gauge(
    "tempo_compactor_outstanding_blocks", "Blocks the last plan would still merge.", ["tenant"]
)
BLOCKS_DELETED = Counter("tempo_compactor_blocks_deleted_total", "Blocks deleted.", ["reason"])
JOB_FAILURES = Counter(
    "tempo_compactor_job_failures_total", "Compaction jobs that failed (retried next cycle)."
)
LEASES_LOST = Counter(
    "tempo_compactor_leases_lost_total", "Jobs abandoned because another compactor took the lease."
)
