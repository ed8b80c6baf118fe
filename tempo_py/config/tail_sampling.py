"""``ingester.tail_sampling``: per-trace keep policies applied before a block is written."""

from __future__ import annotations

from dataclasses import dataclass, field

from tempo_py.config.build import Duration
from tempo_py.config.durations import parse_duration


@dataclass(frozen=True)
class TailSamplingConfig:
    """Keep errors, traces at least ``latency_threshold`` long, and ``percentage`` of the rest."""

    enabled: bool = False
    keep_errors: bool = True
    latency_threshold: Duration = field(default=0.0)  # 0: no latency policy
    percentage: float = field(default=100.0, metadata={"min": 0.0, "max": 100.0})
    decision_cache_size: int = field(default=1_000_000, metadata={"min": 1})
    decision_cache_ttl: Duration = field(default=parse_duration("10m"))
