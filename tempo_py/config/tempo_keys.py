"""Grafana Tempo's own config keys: which tempo_py maps onto its schema, and which it accepts unused.

A Tempo user's file (Tempo 2.x or 3.x) must start tempo_py unchanged, so :func:`adopt_tempo_keys`
rewrites the raw YAML before the strict builder sees it:

- keys with a meaning here are **moved** to tempo_py's key (``live_store.max_block_duration`` ->
  ``ingester.max_block_duration``, ``backend_worker.compaction.block_retention`` ->
  ``compactor.compaction.block_retention``, Tempo's nested ``overrides.defaults.compaction.*`` and
  legacy flat ``overrides.*`` forms, ``auth_enabled``, Tempo's target names, ...);
- ``storage.trace.block.version: vParquet4`` (any Tempo encoding) is dropped with a warning: new
  blocks are written in tempo_py's own encoding.

Then :data:`NO_EFFECT` tells the builder (:func:`tempo_py.config.build.build`) which of the
remaining keys are Tempo's: those are accepted and reported once at startup as "accepted for
Tempo compatibility, no effect"; every other unknown key is still an error with a did-you-mean.

The names come from Tempo's config structs (``cmd/tempo/app/config.go`` and each module's
``config.go``, read at v2.9.0 and at main in 2026-12); this module copies no code, only key names.
A node is ``None`` (the key and everything under it are accepted) or a dict of the keys known
under it; ``"*"`` stands for any map entry name (a tenant ID).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

__all__ = [
    "NO_EFFECT",
    "TEMPO_BLOCK_VERSIONS",
    "LoadNotes",
    "TempoKeys",
    "adopt_tempo_keys",
]

TempoKeys = dict[str, Union["TempoKeys", None]]


@dataclass
class LoadNotes:
    """What loading a config file learned beyond the Config itself, for the startup log."""

    # Tempo keys accepted with no effect here, dotted, in file order (each once).
    no_effect: list[str] = field(default_factory=list)
    # (Tempo's key, tempo_py's key) pairs whose values were carried over.
    mapped: list[tuple[str, str]] = field(default_factory=list)
    # Other things a Tempo user should know (block version, keys dropped in favour of ours).
    warnings: list[str] = field(default_factory=list)

    def warning_lines(self) -> list[str]:
        """The startup warnings: one line naming every no-effect key, then the others."""
        lines = []
        if self.no_effect:
            lines.append("accepted for Tempo compatibility, no effect: " + ", ".join(self.no_effect))
        lines.extend(self.warnings)
        return lines


def _keys(*names: str) -> TempoKeys:
    return dict.fromkeys(names)


# The tempodb compactor keys tempo_py has (compactor.compaction.*), as Tempo spells them.
_COMPACTION_OURS = (
    "compaction_window",
    "compaction_cycle",
    "max_compaction_objects",
    "max_block_bytes",
    "block_retention",
    "compacted_block_retention",
    "retention_concurrency",
)
_COMPACTION_TEMPO_ONLY = _keys(
    "v2_in_buffer_bytes",
    "v2_out_buffer_bytes",
    "v2_prefetch_traces_count",
    "max_time_per_tenant",
    "iterator_buffer_size",
    "chunk_size_bytes",
    "flush_size_bytes",
)

# Tempo's per-tenant limits (nested form), as under overrides.defaults and in per-tenant files.
_TENANT_OVERRIDES: TempoKeys = {
    "ingestion": None,
    "read": None,
    "compaction": _keys("compaction_window", "compaction_disabled"),
    "metrics_generator": None,
    "forwarders": None,
    "global": None,
    "storage": None,
    "cost_attribution": None,
}

# Tempo's legacy flat overrides (overrides.<key> directly), all but block_retention (mapped).
_LEGACY_OVERRIDES = _keys(
    "ingestion_rate_strategy",
    "ingestion_rate_limit_bytes",
    "ingestion_burst_size_bytes",
    "ingestion_tenant_shard_size",
    "ingestion_max_attribute_bytes",
    "ingestion_artificial_delay",
    "ingestion_retry_info_enabled",
    "max_traces_per_user",
    "max_global_traces_per_user",
    "max_bytes_per_trace",
    "max_search_bytes_per_trace",
    "forwarders",
    "compaction_disabled",
    "compaction_window",
    "max_bytes_per_tag_values_query",
    "max_blocks_per_tag_values_query",
    "max_condition_groups_per_tag_query",
    "max_search_duration",
    "max_metrics_duration",
    "unsafe_query_hints",
    "left_pad_trace_ids",
    "metrics_spanonly_fetch",
    "span_pruning_awareness",
    "engine_bytes_tracking",
    "span_pruning_enabled",
    "cost_attribution",
    "parquet_dedicated_columns",
)

_SERVER = _keys(
    "http_listen_network",
    "http_listen_conn_limit",
    "grpc_listen_network",
    "grpc_listen_address",
    "grpc_listen_port",
    "grpc_listen_conn_limit",
    "grpc_collect_max_streams_by_conn",
    "proxy_protocol_enabled",
    "tls_cipher_suites",
    "tls_min_version",
    "grpc_tls_config",
    "register_instrumentation",
    "report_grpc_codes_in_instrumentation_label_enabled",
    "graceful_shutdown_timeout",
    "http_server_read_timeout",
    "http_server_read_header_timeout",
    "http_server_write_timeout",
    "http_server_idle_timeout",
    "http_log_closed_connections_without_response_enabled",
    "grpc_server_max_recv_msg_size",
    "grpc_server_max_send_msg_size",
    "grpc_server_max_concurrent_streams",
    "grpc_server_max_connection_idle",
    "grpc_server_max_connection_age",
    "grpc_server_max_connection_age_grace",
    "grpc_server_keepalive_time",
    "grpc_server_keepalive_timeout",
    "grpc_server_min_time_between_pings",
    "grpc_server_ping_without_stream_allowed",
    "grpc_server_num_workers",
    "grpc_server_stats_tracking_enabled",
    "grpc_server_recv_buffer_pools_enabled",
    "grpc_server_read_buffer_size",
    "grpc_server_write_buffer_size",
    "log_source_ips_enabled",
    "log_source_ips_full",
    "log_source_ips_header",
    "log_source_ips_regex",
    "log_request_headers",
    "log_request_at_info_level_enabled",
    "log_request_exclude_headers_list",
    "trace_request_headers",
    "trace_request_exclude_headers_list",
    "http_path_prefix",
    "cluster_validation",
)

_S3 = _keys(
    "session_token",
    "part_size",
    "hedge_requests_at",
    "hedge_requests_up_to",
    "retry_max_attempts",
    "retry_backoff_initial",
    "retry_backoff_max",
    "signature_v2",
    "enable_dual_stack",
    "bucket_lookup_type",
    "tags",
    "storage_class",
    "metadata",
    "native_aws_auth_enabled",
    "list_blocks_concurrency",
    "sse",
    "tls_ca_path",
    "tls_cert_path",
    "tls_key_path",
    "tls_server_name",
    "tls_insecure_skip_verify",
    "tls_cipher_suites",
    "tls_min_version",
)

#: Tempo's keys tempo_py accepts without acting on them (see the module docstring for the shape).
NO_EFFECT: TempoKeys = {
    "shutdown_delay": None,
    "stream_over_http_enabled": None,
    "http_api_prefix": None,
    "enable_go_runtime_metrics": None,
    "span_profiling": None,
    "use_otel_tracer": None,
    "autocomplete_filtering_enabled": None,
    "partition_ring_live_store": None,
    "memory": None,
    "internal_server": None,
    "ingester_client": None,
    "metrics_generator_client": None,
    "live_store_client": None,
    "metrics_generator": None,
    "ingest": None,
    "block_builder": None,
    "memberlist": None,
    "usage_report": None,
    "cache": None,
    "backend_scheduler_client": None,
    "server": _SERVER,
    "distributor": {
        "ring": None,
        "override_ring_key": None,
        "log_received_spans": None,
        "log_discarded_spans": None,
        "metric_received_spans": None,
        "forwarders": None,
        "usage": None,
        "kafka_config": None,
        "retry_after_on_resource_exhausted": None,
        "max_attribute_bytes": None,
        "artificial_delay": None,
        "ingester_write_path_enabled": None,
        "kafka_write_path_enabled": None,
        "extend_writes": None,
        "search_tags_deny_list": None,
        # OpenTelemetry Collector receivers Tempo embeds and tempo_py does not run
        "receivers": _keys("opencensus", "kafka"),
    },
    "ingester": _keys(
        "lifecycler",
        "partition_ring",
        "concurrent_flushes",
        "flush_op_timeout",
        "trace_live_period",
        "override_ring_key",
        "flush_all_on_shutdown",
        "flush_object_storage",
        "autocomplete_filtering_enabled",
        "dedicated_columns",
    ),
    # Tempo 3.x's live-store; the keys with a meaning were moved to ingester.* first.
    "live_store": _keys(
        "ring",
        "partition_ring",
        "metrics",
        "commit_interval",
        "wal",
        "query_block_concurrency",
        "complete_block_concurrency",
        "block_reclaim_grace",
        "shutdown_marker_dir",
        "flush_op_timeout",
        "max_trace_live",
        "readiness_target_lag",
        "readiness_max_wait",
        "fail_on_high_lag",
        "remove_owner_on_shutdown",
    ),
    "compactor": {
        "disabled": None,
        "ring": None,
        "override_ring_key": None,
        "compaction": _COMPACTION_TEMPO_ONLY,
    },
    # Tempo 3.x's compaction: the tempodb compactor keys were moved to compactor.compaction.* first.
    "backend_worker": {
        "backend_scheduler_addr": None,
        "backoff": None,
        "override_ring_key": None,
        "ring": None,
        "finish_on_shutdown_timeout": None,
        "compaction": _COMPACTION_TEMPO_ONLY,
    },
    "backend_scheduler": {
        "work": None,
        "maintenance_interval": None,
        "backend_flush_interval": None,
        "job_timeout": None,
        "local_work_path": None,
        "provider": {
            "retention": None,
            "redaction": None,
            "compaction": {
                "measure_interval": None,
                "min_cycle_interval": None,
                "max_jobs_per_tenant": None,
                "min_input_blocks": None,
                "max_input_blocks": None,
                "max_compaction_level": None,
                "backoff": None,
                "compaction": _COMPACTION_TEMPO_ONLY,
            },
        },
    },
    "querier": {
        "trace_by_id": None,
        "metrics": None,
        "partition_ring": None,
        "extra_query_delay": None,
        "frontend_worker": None,
        "shuffle_sharding_ingesters_enabled": None,
        "shuffle_sharding_ingesters_lookback_period": None,
        "query_relevant_ingesters": None,
        "secondary_ingester_ring": None,
        "search": _keys(
            "external_endpoints",
            "external_hedge_requests_at",
            "external_hedge_requests_up_to",
            "external_backend",
            "google_cloud_run",
            "prefer_self",
        ),
    },
    "query_frontend": {
        "max_batch_size": None,
        "log_query_request_headers": None,
        "max_retries": None,
        "trace_by_id": None,
        # the keys of query_frontend.metrics tempo_py has are in its schema; these are Tempo's others
        "metrics": _keys(
            "concurrent_jobs",
            "target_bytes_per_job",
            "max_duration",
            "query_backend_after",
            "interval",
            "max_exemplars",
            "max_response_series",
            "max_intervals",
            "streaming_shards",
            "duration_slo",
            "throughput_bytes_slo",
        ),
        "multi_tenant_queries_enabled": None,
        "response_consumers": None,
        "weights": None,
        "mcp_server": None,
        "api_timeout": None,
        "url_deny_list": None,
        "max_grpc_streaming_packet_size": None,
        "max_query_expression_size_bytes": None,
        "allowed_headers": None,
        "rf1_after": None,
        "query_end_cutoff": None,
        "skip_ast_transformations": None,
        # default_result_limit and default_spans_per_span_set were moved to querier.search.* first
        "search": _keys(
            "timeout",
            "concurrent_jobs",
            "target_bytes_per_job",
            "max_result_limit",
            "max_duration",
            "query_backend_after",
            "query_ingesters_until",
            "ingester_shards",
            "most_recent_shards",
            "max_spans_per_span_set",
            "duration_slo",
            "throughput_bytes_slo",
            "metadata_slo",
        ),
    },
    "storage": {
        "trace": {
            "search": None,
            "blocklist_poll_concurrency": None,
            "blocklist_poll_tenant_concurrency": None,
            "blocklist_poll_fallback": None,
            "blocklist_poll_tenant_index_builders": None,
            "blocklist_poll_stale_tenant_index": None,
            "blocklist_poll_jitter_ms": None,
            "blocklist_poll_tolerate_consecutive_errors": None,
            "blocklist_poll_tolerate_tenant_failures": None,
            "empty_tenant_deletion_enabled": None,
            "empty_tenant_deletion_age": None,
            "gcs": None,
            "azure": None,
            "cache": None,
            "background_cache": None,
            "memcached": None,
            "redis": None,
            "cache_min_compaction_level": None,
            "cache_max_block_age": None,
            "wal": _keys("ingestion_time_range_slack", "v2_encoding", "search_encoding", "version"),
            "pool": _keys("queue_depth"),
            "block": _keys(
                "search_encoding",
                "search_page_size_bytes",
                "v2_index_downsample_bytes",
                "v2_index_page_size_bytes",
                "v2_encoding",
                "parquet_row_group_size_bytes",
                "parquet_dedicated_columns",
            ),
            "s3": _S3,
        }
    },
    "overrides": {
        "per_tenant_override_config": None,
        "per_tenant_override_period": None,
        "user_configurable_overrides": None,
        "enable_legacy_overrides": None,
        "defaults": _TENANT_OVERRIDES,
        "per_tenant": {"*": _TENANT_OVERRIDES},
        **_LEGACY_OVERRIDES,
    },
}

#: Tempo's block encodings: accepted in storage.trace.block.version, with a warning.
TEMPO_BLOCK_VERSIONS = ("v2", "vParquet", "vParquet2", "vParquet3", "vParquet4", "vParquet5")

# Tempo's targets -> the tempo_py target that runs the same role (None: the same name).
_TARGETS = {
    "scalable-single-binary": "all",
    "query-frontend": "querier",
    "live-store": "ingester",
    "block-builder": "ingester",
    "backend-scheduler": "compactor",
    "backend-worker": "compactor",
}

# (Tempo's key, tempo_py's key): the value means the same thing in both.
_MOVES: tuple[tuple[str, str], ...] = (
    ("auth_enabled", "multitenancy_enabled"),
    ("live_store.max_block_duration", "ingester.max_block_duration"),
    ("live_store.max_block_bytes", "ingester.max_block_bytes"),
    ("live_store.flush_check_period", "ingester.flush_check_period"),
    ("live_store.max_trace_idle", "ingester.trace_idle_period"),
    ("live_store.complete_block_timeout", "ingester.complete_block_timeout"),
    ("live_store.max_live_traces_bytes", "ingester.max_live_bytes"),
    *((f"backend_worker.compaction.{k}", f"compactor.compaction.{k}") for k in _COMPACTION_OURS),
    *(
        (f"backend_scheduler.provider.compaction.compaction.{k}", f"compactor.compaction.{k}")
        for k in _COMPACTION_OURS
    ),
    ("overrides.defaults.compaction.block_retention", "overrides.defaults.block_retention"),
    ("overrides.block_retention", "overrides.defaults.block_retention"),
    ("query_frontend.search.default_result_limit", "querier.search.default_limit"),
    ("query_frontend.search.default_spans_per_span_set", "querier.search.default_spans_per_span_set"),
)

_MISSING = object()


def _pop(raw: dict[str, Any], dotted: str) -> Any:
    """Remove ``dotted`` from ``raw`` (pruning sections it leaves empty); _MISSING if absent."""
    keys = dotted.split(".")
    chain: list[dict[str, Any]] = [raw]
    for key in keys[:-1]:
        child = chain[-1].get(key)
        if not isinstance(child, dict):
            return _MISSING
        chain.append(child)
    if keys[-1] not in chain[-1]:
        return _MISSING
    value = chain[-1].pop(keys[-1])
    for depth in range(len(chain) - 1, 0, -1):
        if chain[depth]:
            break
        del chain[depth - 1][keys[depth - 1]]
    return value


def _has(raw: dict[str, Any], dotted: str) -> bool:
    node: Any = raw
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def _put(raw: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    node = raw
    for key in keys[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    node[keys[-1]] = value


def _move(
    raw: dict[str, Any], src: str, dst: str, notes: LoadNotes, moved: dict[str, tuple[str, Any]]
) -> None:
    """Carry ``src``'s value to ``dst`` unless the file sets ``dst`` (``moved``: dst -> (src, value))."""
    value = _pop(raw, src)
    if value is _MISSING:
        return
    if dst in moved:
        first, first_value = moved[dst]
        if first_value == value:
            notes.mapped.append((src, dst))
        else:
            notes.warnings.append(f"{src} is not used: {first} already sets {dst}")
        return
    if _has(raw, dst):
        notes.warnings.append(f"{src} is not used: {dst} is set and wins")
        return
    _put(raw, dst, value)
    moved[dst] = (src, value)
    notes.mapped.append((src, dst))


def adopt_tempo_keys(raw: dict[str, Any], notes: LoadNotes, *, written_version: str) -> None:
    """Rewrite Tempo's keys in parsed YAML ``raw`` (in place) into tempo_py's; record what was done.

    ``written_version`` is the encoding tempo_py writes, named in the block-version warning.
    """
    moved: dict[str, tuple[str, Any]] = {}
    for src, dst in _MOVES:
        _move(raw, src, dst, notes, moved)
    per_tenant = (
        raw.get("overrides", {}).get("per_tenant") if isinstance(raw.get("overrides"), dict) else None
    )
    if isinstance(per_tenant, dict):
        for tenant in list(per_tenant):
            prefix = f"overrides.per_tenant.{tenant}"
            _move(raw, f"{prefix}.compaction.block_retention", f"{prefix}.block_retention", notes, moved)
    target = raw.get("target")
    if isinstance(target, str) and target in _TARGETS:
        raw["target"] = _TARGETS[target]
        notes.warnings.append(f'target "{target}" (Tempo) runs as tempo_py\'s target "{_TARGETS[target]}"')
    trace = raw.get("storage", {}).get("trace") if isinstance(raw.get("storage"), dict) else None
    block = trace.get("block") if isinstance(trace, dict) else None
    if isinstance(block, dict) and block.get("version") in TEMPO_BLOCK_VERSIONS:
        version = _pop(raw, "storage.trace.block.version")
        notes.warnings.append(
            f'storage.trace.block.version: "{version}" is a Grafana Tempo encoding; tempo_py writes '
            f'new blocks in its own, "{written_version}" (it reads Tempo\'s vParquet4/vParquet5 blocks)'
        )
