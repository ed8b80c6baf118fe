"""tempo_py configuration: Tempo's YAML keys as typed dataclasses, loaded and validated.

One package: :mod:`~tempo_py.config.schema` (the sections and every default),
:mod:`~tempo_py.config.receivers` (``distributor.receivers``), :mod:`~tempo_py.config.durations`
(Go-style durations), :mod:`~tempo_py.config.build` (typed building, overrides, dumping) and
:mod:`~tempo_py.config.loader` (:func:`load_config`). Only the application layer
(:mod:`tempo_py.app.wiring`, the CLI) imports it; modules take their own settings.
"""

from __future__ import annotations

from tempo_py.config.build import ConfigError, Duration
from tempo_py.config.durations import DurationError, format_duration, parse_duration
from tempo_py.config.loader import load_config
from tempo_py.config.receivers import (
    JaegerReceiverConfig,
    OtlpReceiverConfig,
    ReceiversConfig,
    XrayReceiverConfig,
    ZipkinReceiverConfig,
    endpoint_host_port,
)
from tempo_py.config.schema import (
    AuthConfig,
    BlockConfig,
    CompactionConfig,
    CompactorConfig,
    Config,
    DistributorConfig,
    IngesterConfig,
    LocalStorageConfig,
    OverridesConfig,
    PoolConfig,
    QuerierConfig,
    QuerierSearchConfig,
    S3Config,
    ServerConfig,
    StorageConfig,
    Target,
    TenantOverrides,
    TraceStorageConfig,
    WalConfig,
)

__all__ = [
    "AuthConfig",
    "BlockConfig",
    "CompactionConfig",
    "CompactorConfig",
    "Config",
    "ConfigError",
    "DistributorConfig",
    "Duration",
    "DurationError",
    "IngesterConfig",
    "JaegerReceiverConfig",
    "LocalStorageConfig",
    "OtlpReceiverConfig",
    "OverridesConfig",
    "PoolConfig",
    "QuerierConfig",
    "QuerierSearchConfig",
    "ReceiversConfig",
    "S3Config",
    "ServerConfig",
    "StorageConfig",
    "Target",
    "TenantOverrides",
    "TraceStorageConfig",
    "WalConfig",
    "XrayReceiverConfig",
    "ZipkinReceiverConfig",
    "endpoint_host_port",
    "format_duration",
    "load_config",
    "parse_duration",
]
