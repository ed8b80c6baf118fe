"""Prometheus metrics of the agent (default registry, served on the agent's /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

ACCEPTED_SPANS = Counter(
    "tempo_py_agent_accepted_spans_total", "Spans acknowledged (fsynced in the queue).", ["protocol"]
)
REFUSED_SPANS = Counter(
    "tempo_py_agent_refused_spans_total", "Spans refused by the agent.", ["protocol", "reason"]
)
FORWARDED_SPANS = Counter("tempo_py_agent_forwarded_spans_total", "Spans the distributors accepted.")
REJECTED_SPANS = Counter(
    "tempo_py_agent_rejected_spans_total",
    "Spans the distributors refused for good (not retried), by gRPC status.",
    ["code"],
)
FORWARD_RETRIES = Counter(
    "tempo_py_agent_forward_retries_total", "Forward attempts that will be retried, by gRPC status.", ["code"]
)
QUEUE_BYTES = Gauge("tempo_py_agent_queue_bytes", "Bytes of queue segments on disk.")
QUEUE_PENDING_BYTES = Gauge("tempo_py_agent_queue_pending_bytes", "Queued bytes not yet delivered.")
QUEUE_CAPACITY_BYTES = Gauge("tempo_py_agent_queue_capacity_bytes", "queue.max_bytes.")
