"""The ``sampling`` section: strategies served to tracing clients (Jaeger remote sampling, ...).

Jaeger's own flag names, as YAML keys: ``sampling.strategies-file`` is ``strategies_file``,
``sampling.strategies-reload-interval`` is ``strategies_reload_interval``, the adaptive sampler's
``sampling.target-samples-per-second`` is ``adaptive.target_samples_per_second`` and so on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tempo_py.config.build import Duration
from tempo_py.config.durations import parse_duration
from tempo_py.config.sampling_xray import XRaySamplingConfig

__all__ = ["JaegerAdaptiveConfig", "JaegerSamplingConfig", "SamplingConfig"]

_PORT = {"min": 0, "max": 65535}
_PROBABILITY = {"min": 0.0, "max": 1.0}


@dataclass(frozen=True)
class JaegerAdaptiveConfig:
    """``sampling.jaeger.adaptive``: per service/operation probabilities from observed root spans."""

    enabled: bool = False
    target_samples_per_second: float = field(default=1.0, metadata={"min": 0.0})
    initial_sampling_probability: float = field(default=0.001, metadata=_PROBABILITY)
    min_sampling_probability: float = field(default=1e-5, metadata=_PROBABILITY)
    max_sampling_probability: float = field(default=1.0, metadata=_PROBABILITY)
    min_samples_per_second: float = field(default=1.0 / 60, metadata={"min": 0.0})
    calculation_interval: Duration = field(default=parse_duration("1m"), metadata={"min": 0.01})
    # Traffic older than this many calculation intervals no longer counts.
    aggregation_buckets: int = field(default=3, metadata={"min": 1})


@dataclass(frozen=True)
class JaegerSamplingConfig:
    """``sampling.jaeger``: Jaeger remote sampling (``/api/sampling``, ``/sampling``, gRPC
    ``jaeger.api_v2.SamplingManager``). Off unless ``enabled``."""

    enabled: bool = False
    strategies_file: str = ""  # Jaeger's strategies.json; empty: probabilistic 0.001 for everyone
    strategies_reload_interval: Duration = field(default=parse_duration("10s"), metadata={"min": 0.0})
    listen_address: str = ""  # empty: server.http_listen_address
    listen_port: int = field(default=5778, metadata=_PORT)  # jaeger-agent's sampling port; 0 = none
    grpc_listen_port: int = field(default=0, metadata=_PORT)  # SamplingManager; 0 = none
    adaptive: JaegerAdaptiveConfig = field(default_factory=JaegerAdaptiveConfig)


@dataclass(frozen=True)
class SamplingConfig:
    """``sampling``."""

    jaeger: JaegerSamplingConfig = field(default_factory=JaegerSamplingConfig)
    xray: XRaySamplingConfig = field(default_factory=XRaySamplingConfig)
