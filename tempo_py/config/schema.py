"""The configuration schema: nested dataclasses mirroring Grafana Tempo's YAML keys.

Defaults live only here (and, for receivers, in :mod:`tempo_py.config.receivers`); modules get
their settings from :mod:`tempo_py.app.wiring`, never a default of their own. A Tempo user's config
file loads unchanged: Tempo's keys with a meaning here are mapped onto these, the others accepted and
named in one startup warning (:mod:`tempo_py.config.tempo_keys`); any other key is an error naming
it (see docs/configuration.md for the reference). Load with :func:`tempo_py.config.load_config`;
:meth:`Config.default` is the config used when there is no file.

Receivers follow Tempo's presence semantics: a receiver, or a protocol of a receiver, is enabled
exactly when its key appears in the YAML, even with a null value (``zipkin:``), so the optional
sections below are ``None`` when disabled.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from tempo_py.config.build import Duration, build, to_plain
from tempo_py.config.durations import parse_duration
from tempo_py.config.receivers import ReceiversConfig, endpoint_host_port
from tempo_py.config.sampling import SamplingConfig
from tempo_py.config.tail_sampling import TailSamplingConfig

__all__ = [
    "NO_FILE_RAW",
    "AuthConfig",
    "BasicAuthUser",
    "BlockConfig",
    "CompactionConfig",
    "CompactorConfig",
    "Config",
    "DistributorConfig",
    "HttpTlsConfig",
    "IngesterConfig",
    "JaegerQueryConfig",
    "LocalStorageConfig",
    "OverridesConfig",
    "PoolConfig",
    "QuerierConfig",
    "QuerierSearchConfig",
    "S3Config",
    "ServerConfig",
    "StorageConfig",
    "Target",
    "TenantOverrides",
    "TraceStorageConfig",
    "WalConfig",
]

Target = Literal["all", "distributor", "ingester", "querier", "compactor"]

_PORT = {"min": 0, "max": 65535}
_POSITIVE = {"min": 1}


# ---------------------------------------------------------------------------------------- server


@dataclass(frozen=True)
class BasicAuthUser:
    """``server.auth.basic.<username>``: one HTTP basic-auth user and the tenant it may use."""

    password: str = ""
    # Empty: the username is the tenant ID (as Grafana Cloud's user = instance ID).
    tenant: str = ""


@dataclass(frozen=True)
class AuthConfig:
    """``server.auth`` (ours; Tempo has none): bearer tokens and basic-auth users, each mapped to
    the tenant it may use.

    Both empty (the default) = no authentication, as in Tempo. Otherwise every receiver with
    headers, the query API and the admin endpoints require ``Authorization: Bearer <token>`` or
    ``Authorization: Basic <user:password>``.
    """

    # Secret: /status/config shows "********" instead of the token -> tenant map.
    tokens: dict[str, str] = field(default_factory=dict, metadata={"secret": True})
    # Secret as a whole (usernames too): username -> password and tenant.
    basic: dict[str, BasicAuthUser] = field(default_factory=dict, metadata={"secret": True})


@dataclass(frozen=True)
class HttpTlsConfig:
    """``server.http_tls_config`` (dskit's keys): TLS on the HTTP API port; off while cert_file is empty."""

    cert_file: str = ""
    key_file: str = ""
    # Only the types Python's ssl can enforce (see tempo_py/app/tls.py): no unverified client certs.
    client_auth_type: Literal["NoClientCert", "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"] = (
        "NoClientCert"
    )
    client_ca_file: str = ""


@dataclass(frozen=True)
class ServerConfig:
    """``server``: the HTTP listener for the query API, /ready, /metrics and /status/config."""

    http_listen_address: str = "0.0.0.0"
    http_listen_port: int = field(default=3200, metadata=_PORT)
    # The process's log threshold and line format (logfmt as Tempo's, or one JSON object a line);
    # ``tempo-py serve --log-level`` wins over log_level.
    log_level: Literal["debug", "info", "warn", "error"] = "info"
    log_format: Literal["logfmt", "json"] = "logfmt"
    auth: AuthConfig = field(default_factory=AuthConfig)
    http_tls_config: HttpTlsConfig = field(default_factory=HttpTlsConfig)


# ------------------------------------------------------------------------------------- receivers


@dataclass(frozen=True)
class DistributorConfig:
    """``distributor``: receivers plus limits on what one request may carry."""

    receivers: ReceiversConfig = field(default_factory=ReceiversConfig)
    max_request_bytes: int = field(default=16 * 1024 * 1024, metadata=_POSITIVE)
    ingester_count: int = field(default=1, metadata=_POSITIVE)
    # Spans starting or ending later than now + this are refused (counted in
    # tempo_discarded_spans_total{reason="too_far_in_future"}): a block dated in the future would
    # outlive retention. 0 turns the check off. The old side is the tenant's block_retention.
    max_span_future_skew: Duration = field(default=parse_duration("1h"))


# -------------------------------------------------------------------------------------- ingester


@dataclass(frozen=True)
class IngesterConfig:
    """``ingester``: WAL, live traces and head-block cutting."""

    trace_idle_period: Duration = field(default=parse_duration("10s"))
    max_block_duration: Duration = field(default=parse_duration("30m"))
    max_block_bytes: int = field(default=134_217_728, metadata=_POSITIVE)
    flush_check_period: Duration = field(default=parse_duration("10s"), metadata={"min": 0.001})
    complete_block_timeout: Duration = field(default=parse_duration("15m"))
    max_live_bytes: int = field(default=268_435_456, metadata=_POSITIVE)
    convert_workers: int = field(default=1, metadata={"min": 0})
    tail_sampling: TailSamplingConfig = field(default_factory=TailSamplingConfig)


# --------------------------------------------------------------------------------------- storage


@dataclass(frozen=True)
class LocalStorageConfig:
    """``storage.trace.local``: blocks on a local filesystem."""

    path: str = "./data/blocks"


@dataclass(frozen=True)
class WalConfig:
    """``storage.trace.wal``: where ingesters keep their write-ahead log."""

    path: str = "./data/wal"


@dataclass(frozen=True)
class S3Config:
    """``storage.trace.s3``: any S3-compatible store (AWS, MinIO, Ceph, moto)."""

    bucket: str = ""
    endpoint: str = ""
    region: str = ""
    # Masked too: with the secret key it is a credential pair, and it names the account.
    access_key: str = field(default="", metadata={"secret": True})
    secret_key: str = field(default="", metadata={"secret": True})
    insecure: bool = False
    forcepathstyle: bool = False
    prefix: str = ""


@dataclass(frozen=True)
class BlockConfig:
    """``storage.trace.block``: how new blocks are encoded."""

    version: Literal["vParquet-py1"] = "vParquet-py1"
    bloom_filter_false_positive: float = 0.01
    bloom_filter_shard_size_bytes: int = field(default=102_400, metadata=_POSITIVE)
    parquet_row_group_spans: int = field(default=2000, metadata=_POSITIVE)
    parquet_compacted_row_group_spans: int = field(default=8000, metadata=_POSITIVE)


@dataclass(frozen=True)
class PoolConfig:
    """``storage.trace.pool``: concurrency of block lookups for one query."""

    max_workers: int = field(default=32, metadata=_POSITIVE)


@dataclass(frozen=True)
class TraceStorageConfig:
    """``storage.trace``: the object store holding blocks, and the WAL."""

    backend: Literal["local", "s3", "memory"] = "local"
    local: LocalStorageConfig = field(default_factory=LocalStorageConfig)
    wal: WalConfig = field(default_factory=WalConfig)
    s3: S3Config = field(default_factory=S3Config)
    block: BlockConfig = field(default_factory=BlockConfig)
    blocklist_poll: Duration = field(default=parse_duration("5m"), metadata={"min": 0.001})
    pool: PoolConfig = field(default_factory=PoolConfig)


@dataclass(frozen=True)
class StorageConfig:
    """``storage``."""

    trace: TraceStorageConfig = field(default_factory=TraceStorageConfig)


# ------------------------------------------------------------------------------------- compactor


@dataclass(frozen=True)
class CompactionConfig:
    """``compactor.compaction``: which blocks merge, how big outputs get, how long blocks live."""

    compaction_window: Duration = field(default=parse_duration("1h"), metadata={"min": 1.0})
    compaction_cycle: Duration = field(default=parse_duration("30s"), metadata={"min": 0.001})
    max_compaction_objects: int = field(default=6_000_000, metadata=_POSITIVE)
    max_block_bytes: int = field(default=1_073_741_824, metadata=_POSITIVE)
    block_retention: Duration = field(default=parse_duration("336h"))
    compacted_block_retention: Duration = field(default=parse_duration("1h"))
    min_input_blocks: int = field(default=2, metadata={"min": 2})
    max_input_blocks: int = field(default=8, metadata={"min": 2})
    retention_concurrency: int = field(default=10, metadata=_POSITIVE)


@dataclass(frozen=True)
class CompactorConfig:
    """``compactor``."""

    compaction: CompactionConfig = field(default_factory=CompactionConfig)


# ------------------------------------------------------------------------------ overrides/querier


@dataclass(frozen=True)
class TenantOverrides:
    """Per-tenant limits; ``block_retention`` 0 means "inherit" (defaults, then the compactor's)."""

    block_retention: Duration = 0.0


@dataclass(frozen=True)
class OverridesConfig:
    """``overrides``: limits for all tenants (``defaults``) and for named tenants (``per_tenant``)."""

    defaults: TenantOverrides = field(default_factory=TenantOverrides)
    per_tenant: dict[str, TenantOverrides] = field(default_factory=dict)


@dataclass(frozen=True)
class QuerierSearchConfig:
    """``querier.search``."""

    max_bytes_per_query: int = field(default=5 * 1024**3, metadata=_POSITIVE)
    query_timeout: Duration = field(default=parse_duration("30s"), metadata={"min": 0.001})
    default_limit: int = field(default=20, metadata=_POSITIVE)
    default_spans_per_span_set: int = field(default=3, metadata=_POSITIVE)


@dataclass(frozen=True)
class QueryFrontendMetricsConfig:
    """``query_frontend.metrics``: limits of TraceQL metrics queries (0 = no limit), as Tempo's."""

    max_duration: Duration = field(default=parse_duration("24h"), metadata={"min": 0})
    max_response_series: int = field(default=0, metadata={"min": 0})
    max_intervals: int = field(default=10_000, metadata={"min": 0})


@dataclass(frozen=True)
class QueryFrontendConfig:
    """``query_frontend``: searches of one tenant waiting for a querier slot (more: 429)."""

    max_outstanding_per_tenant: int = field(default=2000, metadata=_POSITIVE)
    metrics: QueryFrontendMetricsConfig = field(default_factory=QueryFrontendMetricsConfig)


@dataclass(frozen=True)
class JaegerQueryConfig:
    """``querier.jaeger_query`` (ours): a listener answering Jaeger's query API at jaeger-query's own
    paths (``/api/...``, ``/api/v3/...``); port 0 (the default) = none. The query port serves the
    same API under ``/jaeger`` either way."""

    listen_address: str = ""  # empty: server.http_listen_address
    listen_port: int = field(default=0, metadata=_PORT)


@dataclass(frozen=True)
class QuerierConfig:
    """``querier``."""

    max_concurrent_queries: int = field(default=20, metadata=_POSITIVE)
    search: QuerierSearchConfig = field(default_factory=QuerierSearchConfig)
    jaeger_query: JaegerQueryConfig = field(default_factory=JaegerQueryConfig)


# ---------------------------------------------------------------------------------------- config

# What "no config file" means: Tempo's quick-start shape, OTLP on both standard ports.
NO_FILE_RAW: dict[str, Any] = {
    "distributor": {"receivers": {"otlp": {"protocols": {"grpc": None, "http": None}}}}
}


@dataclass(frozen=True)
class Config:
    """The whole configuration. ``Config()`` is an empty file (no receivers); see :meth:`default`."""

    target: Target = "all"
    multitenancy_enabled: bool = False
    server: ServerConfig = field(default_factory=ServerConfig)
    distributor: DistributorConfig = field(default_factory=DistributorConfig)
    ingester: IngesterConfig = field(default_factory=IngesterConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    compactor: CompactorConfig = field(default_factory=CompactorConfig)
    overrides: OverridesConfig = field(default_factory=OverridesConfig)
    querier: QuerierConfig = field(default_factory=QuerierConfig)
    query_frontend: QueryFrontendConfig = field(default_factory=QueryFrontendConfig)
    sampling: SamplingConfig = field(default_factory=SamplingConfig)

    @classmethod
    def default(cls, *, all_receivers: bool = False) -> Config:
        """The config used without a file: every default, OTLP gRPC (4317) and HTTP (4318) on.

        ``all_receivers=True`` also turns on Jaeger (all four protocols), Zipkin and X-Ray.
        """
        cfg = build(cls, NO_FILE_RAW)
        if all_receivers:
            dist = replace(cfg.distributor, receivers=ReceiversConfig.all_enabled())
            cfg = replace(cfg, distributor=dist)
        return cfg

    @staticmethod
    def endpoint_host_port(endpoint: str) -> tuple[str, int]:
        """Split ``"host:port"`` into ``(host, port)``; see :func:`endpoint_host_port`."""
        return endpoint_host_port(endpoint)

    def block_retention_for(self, tenant: str) -> float:
        """Seconds to keep ``tenant``'s blocks: per-tenant override, else defaults, else compactor's."""
        per = self.overrides.per_tenant.get(tenant)
        if per is not None and per.block_retention > 0:
            return per.block_retention
        if self.overrides.defaults.block_retention > 0:
            return self.overrides.defaults.block_retention
        return self.compactor.compaction.block_retention

    def to_dict(self, *, mask_secrets: bool = True) -> dict[str, Any]:
        """The config as YAML-ready data (for /status/config and ``tempo-py config``)."""
        plain: dict[str, Any] = to_plain(self, mask_secrets=mask_secrets)
        return plain
