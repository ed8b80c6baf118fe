"""Each default is written once: every module's settings come from the config schema, via app.wiring.

Two checks:
- for every settings factory in :mod:`tempo_py.app.wiring`, every field of what it returns equals
  the config key it maps (for the default config, and for a config where every key differs from
  its default, so a swapped or forgotten mapping shows);
- no settings dataclass outside :mod:`tempo_py.config` has a default of its own (a default there
  would be a second copy of the config's, free to drift), and each one is built by wiring.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import types
import typing
from collections.abc import Callable
from typing import Any, Literal

import pytest

import tempo_py
from tempo_py.app import wiring
from tempo_py.config import Config, endpoint_host_port, load_config

# settings field (dotted for nested settings) -> config key (dotted) or a function of the config
Source = str | Callable[[Config], Any]


def _key(path: str) -> Callable[[Config], Any]:
    def get(cfg: Config) -> Any:
        value: Any = cfg
        for part in path.split("."):
            value = getattr(value, part)
        return value

    return get


def _unset_is_none(path: str) -> Callable[[Config], Any]:
    """The schema writes "unset" as an empty string; settings say None."""
    return lambda cfg: _key(path)(cfg) or None


def _endpoint(name: str) -> Callable[[Config], Any]:
    def get(cfg: Config) -> Any:
        endpoint = cfg.distributor.receivers.enabled().get(name)
        return None if endpoint is None else endpoint_host_port(endpoint)

    return get


def _sampling_listener(cfg: Config, port: int) -> tuple[str, int] | None:
    return (cfg.sampling.jaeger.listen_address or cfg.server.http_listen_address, port) if port else None


_COMPACTION = {
    f"compaction.{name}": f"compactor.compaction.{name}"
    for name in (
        "compaction_window",
        "compaction_cycle",
        "max_compaction_objects",
        "max_block_bytes",
        "block_retention",
        "compacted_block_retention",
        "min_input_blocks",
        "max_input_blocks",
        "retention_concurrency",
    )
}

MAPPINGS: dict[str, dict[str, Source]] = {
    "ingester_settings": {
        "trace_idle_period_s": "ingester.trace_idle_period",
        "max_block_duration_s": "ingester.max_block_duration",
        "max_block_bytes": "ingester.max_block_bytes",
        "flush_check_period_s": "ingester.flush_check_period",
        "max_live_bytes": "ingester.max_live_bytes",
    },
    "block_settings": {
        "bloom_fp": "storage.trace.block.bloom_filter_false_positive",
        "bloom_shard_size_bytes": "storage.trace.block.bloom_filter_shard_size_bytes",
        "row_group_spans": "storage.trace.block.parquet_row_group_spans",
        "compacted_row_group_spans": "storage.trace.block.parquet_compacted_row_group_spans",
        "version": "storage.trace.block.version",
    },
    "s3_settings": {
        "bucket": "storage.trace.s3.bucket",
        "endpoint": _unset_is_none("storage.trace.s3.endpoint"),
        "region": _unset_is_none("storage.trace.s3.region"),
        "access_key": _unset_is_none("storage.trace.s3.access_key"),
        "secret_key": _unset_is_none("storage.trace.s3.secret_key"),
        "insecure": "storage.trace.s3.insecure",
        "forcepathstyle": "storage.trace.s3.forcepathstyle",
        "prefix": "storage.trace.s3.prefix",
    },
    "compactor_settings": {
        **_COMPACTION,
        "block_retention_s": lambda cfg: (
            cfg.overrides.defaults.block_retention or cfg.compactor.compaction.block_retention
        ),
        "tenant_block_retention_s": lambda cfg: {
            t: o.block_retention for t, o in cfg.overrides.per_tenant.items() if o.block_retention > 0
        },
    },
    "distributor_settings": {
        "block_retention_s": lambda cfg: (
            cfg.overrides.defaults.block_retention or cfg.compactor.compaction.block_retention
        ),
        "tenant_block_retention_s": lambda cfg: {
            t: o.block_retention for t, o in cfg.overrides.per_tenant.items() if o.block_retention > 0
        },
        "max_span_future_skew_s": "distributor.max_span_future_skew",
    },
    "receiver_settings": {
        **{
            field: _endpoint(name)
            for field, name in (
                ("otlp_grpc", "otlp.grpc"),
                ("otlp_http", "otlp.http"),
                ("jaeger_thrift_compact", "jaeger.thrift_compact"),
                ("jaeger_thrift_binary", "jaeger.thrift_binary"),
                ("jaeger_thrift_http", "jaeger.thrift_http"),
                ("jaeger_grpc", "jaeger.grpc"),
                ("zipkin", "zipkin"),
                ("xray", "xray"),
            )
        },
        "max_request_bytes": "distributor.max_request_bytes",
    },
    "metrics_settings": {
        "max_duration_s": "query_frontend.metrics.max_duration",
        "max_response_series": "query_frontend.metrics.max_response_series",
        "max_intervals": "query_frontend.metrics.max_intervals",
    },
    "jaeger_sampling_settings": {
        "enabled": "sampling.jaeger.enabled",
        "strategies_file": _unset_is_none("sampling.jaeger.strategies_file"),
        "reload_interval_s": "sampling.jaeger.strategies_reload_interval",
        "http": lambda cfg: _sampling_listener(cfg, cfg.sampling.jaeger.listen_port),
        "grpc": lambda cfg: _sampling_listener(cfg, cfg.sampling.jaeger.grpc_listen_port),
        "adaptive_enabled": "sampling.jaeger.adaptive.enabled",
        **{
            f"adaptive.{name}": f"sampling.jaeger.adaptive.{name}"
            for name in (
                "target_samples_per_second",
                "initial_sampling_probability",
                "min_sampling_probability",
                "max_sampling_probability",
                "min_samples_per_second",
                "aggregation_buckets",
            )
        },
        "adaptive.calculation_interval_s": "sampling.jaeger.adaptive.calculation_interval",
    },
    "search_settings": {
        "max_bytes_per_query": "querier.search.max_bytes_per_query",
        "default_limit": "querier.search.default_limit",
        "default_spans_per_span_set": "querier.search.default_spans_per_span_set",
    },
}

# Factories that return a plain value, not a settings dataclass: factory -> config key.
SCALARS: dict[str, str] = {"querier_concurrency": "storage.trace.pool.max_workers"}

# Factories that build objects rather than settings (their settings are checked above).
BUILDERS = {"make_store", "compaction_settings", "query_gate", "tail_sampler"}


def _factories() -> dict[str, Callable[[Config], Any]]:
    return {
        name: fn
        for name, fn in vars(wiring).items()
        if inspect.isfunction(fn) and fn.__module__ == wiring.__name__ and not name.startswith("_")
    }


def _flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """Settings fields by dotted name, nested settings dataclasses opened up."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            out.update(_flatten(value, f"{prefix}{f.name}."))
        else:
            out[f"{prefix}{f.name}"] = value
    return out


# ---------------------------------------------------------------- a config unlike the default


def _optional_inner(tp: Any) -> Any:
    """X for ``X | None``, else None."""
    args = typing.get_args(tp)
    if isinstance(tp, types.UnionType) and len(args) == 2 and type(None) in args:
        return next(a for a in args if a is not type(None))
    return None


class _Distinct:
    """Hands out values that differ from each other and from every default."""

    def __init__(self) -> None:
        self.n = 0

    def next(self) -> int:
        self.n += 1
        return self.n


def _changed(cls: type, default: Any, seq: _Distinct) -> Any:
    """``default`` (an instance of schema dataclass ``cls``) with every leaf set to a new value."""
    hints = typing.get_type_hints(cls, include_extras=True)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        tp, value = hints[f.name], getattr(default, f.name)
        inner = _optional_inner(tp)
        if inner is not None:
            kwargs[f.name] = _changed(inner, inner() if value is None else value, seq)
            continue
        if typing.get_origin(tp) is typing.Annotated:
            tp = typing.get_args(tp)[0]
        if dataclasses.is_dataclass(tp):
            kwargs[f.name] = _changed(tp, value, seq)  # type: ignore[arg-type]
        elif typing.get_origin(tp) is dict and not dataclasses.is_dataclass(typing.get_args(tp)[1]):
            kwargs[f.name] = {f"key-{seq.next()}": f"value-{seq.next()}"}  # a plain map, e.g. tokens
        elif typing.get_origin(tp) is dict:
            value_t = typing.get_args(tp)[1]
            kwargs[f.name] = {
                "tenant-a": _changed(value_t, value_t(), seq),
                "tenant-b": value_t(),  # all "inherit"
            }
        elif typing.get_origin(tp) is Literal:
            kwargs[f.name] = value  # a choice, possibly the only one
        elif tp is bool:
            kwargs[f.name] = not value
        elif tp is int:
            kwargs[f.name] = 100_000 + seq.next()
        elif tp is float:
            kwargs[f.name] = (
                0.5 + seq.next() / 1000 if f.name.endswith("false_positive") else 1e6 + seq.next()
            )
        elif tp is str:
            kwargs[f.name] = (
                f"127.0.0.{seq.next()}:{4000 + seq.n}" if f.name == "endpoint" else f"v{seq.next()}"
            )
        else:
            raise AssertionError(f"{cls.__name__}.{f.name}: no changed value for type {tp!r}")
    return cls(**kwargs)


CONFIGS = {
    "default": load_config(None, env={}),
    "empty file": Config(),
    "all receivers": Config.default(all_receivers=True),
    "every key changed": _changed(Config, Config.default(all_receivers=True), _Distinct()),
}


def test_every_factory_is_checked() -> None:
    assert set(_factories()) == set(MAPPINGS) | set(SCALARS) | BUILDERS


@pytest.mark.parametrize("which", list(CONFIGS))
@pytest.mark.parametrize("factory", list(MAPPINGS))
def test_settings_come_from_config(factory: str, which: str) -> None:
    cfg = CONFIGS[which]
    settings = _flatten(_factories()[factory](cfg))
    mapping = MAPPINGS[factory]
    assert set(settings) == set(mapping), f"{factory}: map every settings field to its config key"
    for field, source in mapping.items():
        want = _key(source)(cfg) if isinstance(source, str) else source(cfg)
        assert settings[field] == want, f"{factory}().{field} on the {which} config"


@pytest.mark.parametrize("which", list(CONFIGS))
def test_scalar_settings_come_from_config(which: str) -> None:
    cfg = CONFIGS[which]
    for factory, key in SCALARS.items():
        assert _factories()[factory](cfg) == _key(key)(cfg)


def test_the_changed_config_changes_every_settings_field() -> None:
    """So the comparison above would notice a field mapped from the wrong key."""
    default, changed = CONFIGS["all receivers"], CONFIGS["every key changed"]
    for factory in MAPPINGS:
        before = _flatten(_factories()[factory](default))
        after = _flatten(_factories()[factory](changed))
        same = {k for k in before if before[k] == after[k] and k != "version"}  # one allowed version
        assert not same, f"{factory}: {sorted(same)} unchanged"


def test_every_receiver_protocol_has_a_settings_field() -> None:
    enabled = Config.default(all_receivers=True).distributor.receivers.enabled()
    fields = {f.name for f in dataclasses.fields(wiring.receiver_settings(Config()))}
    assert {name.replace(".", "_") for name in enabled} <= fields


@pytest.mark.parametrize("which", list(CONFIGS))
def test_retention_per_tenant_matches_config(which: str) -> None:
    cfg = CONFIGS[which]
    settings = wiring.compactor_settings(cfg)
    for tenant in ["single-tenant", "tenant-a", "tenant-b", *cfg.overrides.per_tenant]:
        assert settings.block_retention_for(tenant) == cfg.block_retention_for(tenant)


def test_compaction_settings_of_a_section() -> None:
    cfg = CONFIGS["every key changed"]
    assert wiring.compaction_settings(cfg.compactor.compaction) == wiring.compactor_settings(cfg).compaction


# ------------------------------------------------------------ no second copy of a default


def _settings_classes() -> dict[str, type]:
    """Dataclasses named *Settings or *Config defined anywhere in tempo_py but the config package."""
    found: dict[str, type] = {}
    for info in pkgutil.walk_packages(tempo_py.__path__, "tempo_py."):
        if info.name == "tempo_py.config" or info.name.startswith("tempo_py.config."):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (
                isinstance(obj, type)
                and obj.__module__ == module.__name__
                and dataclasses.is_dataclass(obj)
                and name.endswith(("Settings", "Config"))
            ):
                found[f"{module.__name__}.{name}"] = obj
    return found


def _built_by_wiring() -> set[type]:
    built: set[type] = set()
    todo = [typing.get_type_hints(fn)["return"] for fn in _factories().values()]
    while todo:
        tp = todo.pop()
        if isinstance(tp, types.UnionType):
            todo += typing.get_args(tp)
        elif isinstance(tp, type) and dataclasses.is_dataclass(tp):
            built.add(tp)
            todo += [t for t in typing.get_type_hints(tp).values()]
    return built


def test_module_settings_have_no_defaults_of_their_own() -> None:
    classes = _settings_classes()
    assert classes, "the scan found no settings classes"
    with_defaults = {
        f"{where}.{f.name}"
        for where, cls in classes.items()
        for f in dataclasses.fields(cls)
        if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
    }
    assert not with_defaults, (
        "module settings must not carry defaults (the config schema holds them; "
        "tempo_py/app/wiring.py maps them)"
    )


def test_every_module_settings_class_is_built_by_wiring() -> None:
    built = _built_by_wiring()
    orphans = {where for where, cls in _settings_classes().items() if cls not in built}
    assert not orphans, "each module settings class is filled from the config in tempo_py/app/wiring.py"


def test_query_gate_takes_the_querier_and_frontend_limits() -> None:
    cfg = load_config(
        None,
        env={},
        overrides=[
            "querier.max_concurrent_queries=3",
            "querier.search.query_timeout=7s",
            "query_frontend.max_outstanding_per_tenant=11",
        ],
    )
    gate = wiring.query_gate(cfg)
    assert (gate.max_concurrent, gate.max_waiting, gate.timeout_s) == (3, 11, 7.0)


def test_tail_sampler_follows_its_config() -> None:
    assert wiring.tail_sampler(Config()) is None  # off by default: Tempo keeps every span
    cfg = load_config(
        None,
        overrides=[
            "ingester.tail_sampling.enabled=true",
            "ingester.tail_sampling.keep_errors=false",
            "ingester.tail_sampling.latency_threshold=2s",
            "ingester.tail_sampling.percentage=25",
        ],
    )
    sampler = wiring.tail_sampler(cfg)
    assert sampler is not None
    assert (sampler.policy.keep_errors, sampler.policy.min_duration_s, sampler.policy.percentage) == (
        False,
        2.0,
        25.0,
    )
