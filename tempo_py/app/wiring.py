"""The one place that maps the configuration to each module's own settings.

Modules never import :mod:`tempo_py.config`: each has a small typed settings dataclass without
defaults of its own, and the functions here fill it from a :class:`~tempo_py.config.Config`, so
every default is written once, in the config schema. ``tests/app/test_wiring.py`` loads the
default config and checks every settings field against it.
"""

from __future__ import annotations

from tempo_py.app.tempo_metrics import TimedStore
from tempo_py.block.settings import BlockConfig
from tempo_py.compactor.settings import CompactionSettings, CompactorSettings
from tempo_py.config import CompactionConfig, Config, endpoint_host_port
from tempo_py.distributor.distributor import DistributorSettings
from tempo_py.distributor.receivers.start import ReceiverSettings
from tempo_py.ingester.ingester import IngesterSettings
from tempo_py.querier.metrics.api import MetricsSettings
from tempo_py.querier.query_gate import QueryGate
from tempo_py.querier.search_api import SearchSettings
from tempo_py.sampling.jaeger.adaptive import AdaptiveSettings
from tempo_py.sampling.jaeger.start import JaegerSamplingSettings
from tempo_py.sampling.policies.cache import DecisionCache, TailSampler
from tempo_py.sampling.policies.decide import Policy
from tempo_py.storage.base import ObjectStore
from tempo_py.storage.counting import CountingStore
from tempo_py.storage.factory import S3Settings, store_from_config

__all__ = [
    "block_settings",
    "compaction_settings",
    "compactor_settings",
    "distributor_settings",
    "ingester_settings",
    "jaeger_sampling_settings",
    "make_store",
    "metrics_settings",
    "querier_concurrency",
    "query_gate",
    "receiver_settings",
    "s3_settings",
    "search_settings",
]


def s3_settings(cfg: Config) -> S3Settings:
    """``storage.trace.s3``; an empty string (the schema's "unset") becomes None (the SDK's default)."""
    s3 = cfg.storage.trace.s3
    return S3Settings(
        bucket=s3.bucket,
        endpoint=s3.endpoint or None,
        region=s3.region or None,
        access_key=s3.access_key or None,
        secret_key=s3.secret_key or None,
        insecure=s3.insecure,
        forcepathstyle=s3.forcepathstyle,
        prefix=s3.prefix,
    )


def make_store(cfg: Config) -> ObjectStore:
    """The configured backend (``storage.trace.backend``), counted for ``/metrics``."""
    t = cfg.storage.trace
    # Counted so /metrics shows backend requests by operation (tempo_backend_requests_total).
    # Timed for tempodb_backend_request_duration_seconds (Tempo's name; tempo_py.app.tempo_metrics).
    inner = store_from_config(t.backend, local_path=t.local.path, s3=s3_settings(cfg))
    return CountingStore(TimedStore(inner))


def block_settings(cfg: Config) -> BlockConfig:
    """How new blocks are encoded, from ``storage.trace.block``."""
    b = cfg.storage.trace.block
    return BlockConfig(
        bloom_fp=b.bloom_filter_false_positive,
        bloom_shard_size_bytes=b.bloom_filter_shard_size_bytes,
        row_group_spans=b.parquet_row_group_spans,
        compacted_row_group_spans=b.parquet_compacted_row_group_spans,
        version=b.version,
    )


def ingester_settings(cfg: Config) -> IngesterSettings:
    """The ingester's cut and memory limits, from ``ingester``."""
    ic = cfg.ingester
    return IngesterSettings(
        trace_idle_period_s=ic.trace_idle_period,
        max_block_duration_s=ic.max_block_duration,
        max_block_bytes=ic.max_block_bytes,
        flush_check_period_s=ic.flush_check_period,
        max_live_bytes=ic.max_live_bytes,
    )


def compaction_settings(comp: CompactionConfig) -> CompactionSettings:
    """The planner's and compaction loop's settings from one ``compactor.compaction`` section."""
    return CompactionSettings(
        compaction_window=comp.compaction_window,
        compaction_cycle=comp.compaction_cycle,
        max_compaction_objects=comp.max_compaction_objects,
        max_block_bytes=comp.max_block_bytes,
        block_retention=comp.block_retention,
        compacted_block_retention=comp.compacted_block_retention,
        min_input_blocks=comp.min_input_blocks,
        max_input_blocks=comp.max_input_blocks,
        retention_concurrency=comp.retention_concurrency,
    )


def compactor_settings(cfg: Config) -> CompactorSettings:
    """``compactor.compaction`` plus the block retention of every tenant (``overrides``).

    A tenant's retention is its own ``overrides.per_tenant`` value, else ``overrides.defaults``,
    else ``compactor.compaction.block_retention``; 0 means "inherit" at each level
    (:meth:`Config.block_retention_for`).
    """
    comp = compaction_settings(cfg.compactor.compaction)
    defaults = cfg.overrides.defaults.block_retention
    return CompactorSettings(
        compaction=comp,
        block_retention_s=defaults if defaults > 0 else comp.block_retention,
        tenant_block_retention_s={
            tenant: o.block_retention
            for tenant, o in cfg.overrides.per_tenant.items()
            if o.block_retention > 0
        },
    )


def distributor_settings(cfg: Config) -> DistributorSettings:
    """The distributor refuses spans the compactor's retention would delete at once, so it takes the
    very retention values :func:`compactor_settings` gives the compactor."""
    comp = compactor_settings(cfg)
    return DistributorSettings(
        block_retention_s=comp.block_retention_s,
        tenant_block_retention_s=dict(comp.tenant_block_retention_s),
        max_span_future_skew_s=cfg.distributor.max_span_future_skew,
    )


def receiver_settings(cfg: Config) -> ReceiverSettings:
    """Which receivers listen where (``distributor.receivers``) and ``distributor.max_request_bytes``."""
    enabled = cfg.distributor.receivers.enabled()  # {"otlp.grpc": "0.0.0.0:4317", ...}
    at = {name.replace(".", "_"): endpoint_host_port(endpoint) for name, endpoint in enabled.items()}
    return ReceiverSettings(
        otlp_grpc=at.get("otlp_grpc"),
        otlp_http=at.get("otlp_http"),
        jaeger_thrift_compact=at.get("jaeger_thrift_compact"),
        jaeger_thrift_binary=at.get("jaeger_thrift_binary"),
        jaeger_thrift_http=at.get("jaeger_thrift_http"),
        jaeger_grpc=at.get("jaeger_grpc"),
        zipkin=at.get("zipkin"),
        xray=at.get("xray"),
        max_request_bytes=cfg.distributor.max_request_bytes,
    )


def search_settings(cfg: Config) -> SearchSettings:
    """The search API's budget and defaults, from ``querier.search``."""
    s = cfg.querier.search
    return SearchSettings(
        max_bytes_per_query=s.max_bytes_per_query,
        default_limit=s.default_limit,
        default_spans_per_span_set=s.default_spans_per_span_set,
    )


def metrics_settings(cfg: Config) -> MetricsSettings:
    """The metrics API's limits (``query_frontend.metrics.*``)."""
    m = cfg.query_frontend.metrics
    return MetricsSettings(
        max_duration_s=m.max_duration,
        max_response_series=m.max_response_series,
        max_intervals=m.max_intervals,
    )


def query_gate(cfg: Config) -> QueryGate:
    """Concurrent searches (``querier.max_concurrent_queries``), how many of a tenant may wait
    (``query_frontend.max_outstanding_per_tenant``) and their deadline (``querier.search.query_timeout``)."""
    return QueryGate(
        cfg.querier.max_concurrent_queries,
        cfg.query_frontend.max_outstanding_per_tenant,
        cfg.querier.search.query_timeout,
    )


def querier_concurrency(cfg: Config) -> int:
    """Block lookups one trace-by-ID query runs at once (``storage.trace.pool.max_workers``)."""
    return cfg.storage.trace.pool.max_workers


def jaeger_sampling_settings(cfg: Config) -> JaegerSamplingSettings:
    """``sampling.jaeger``."""
    j = cfg.sampling.jaeger
    host = j.listen_address or cfg.server.http_listen_address
    a = j.adaptive
    return JaegerSamplingSettings(
        enabled=j.enabled,
        strategies_file=j.strategies_file or None,
        reload_interval_s=j.strategies_reload_interval,
        http=(host, j.listen_port) if j.listen_port else None,
        grpc=(host, j.grpc_listen_port) if j.grpc_listen_port else None,
        adaptive_enabled=a.enabled,
        adaptive=AdaptiveSettings(
            target_samples_per_second=a.target_samples_per_second,
            initial_sampling_probability=a.initial_sampling_probability,
            min_sampling_probability=a.min_sampling_probability,
            max_sampling_probability=a.max_sampling_probability,
            min_samples_per_second=a.min_samples_per_second,
            calculation_interval_s=a.calculation_interval,
            aggregation_buckets=a.aggregation_buckets,
        ),
    )


def tail_sampler(cfg: Config) -> TailSampler | None:
    """The ingesters' flush filter for ``ingester.tail_sampling``, or None when it is off."""
    ts = cfg.ingester.tail_sampling
    if not ts.enabled:
        return None
    pol = Policy(
        keep_errors=ts.keep_errors,
        min_duration_s=ts.latency_threshold or None,
        percentage=ts.percentage,
    )
    return TailSampler(pol, DecisionCache(ts.decision_cache_size, ts.decision_cache_ttl))
