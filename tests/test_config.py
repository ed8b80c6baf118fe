"""Tests for tempo_py.config: Tempo-compatible YAML, presence semantics, overrides and errors."""

from __future__ import annotations

import dataclasses
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from tempo_py.config import (
    Config,
    ConfigError,
    endpoint_host_port,
    format_duration,
    load_config,
    parse_duration,
)
from tempo_py.config.durations import DurationError
from tempo_py.config.loader import load_config_with_notes

DOCS = Path(__file__).resolve().parent.parent / "docs"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tempo.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load_text(tmp_path: Path, text: str, **kwargs: Any) -> Config:
    kwargs.setdefault("env", {})
    return load_config(write(tmp_path, text), **kwargs)


def error_of(tmp_path: Path, text: str, **kwargs: Any) -> str:
    with pytest.raises(ConfigError) as info:
        load_text(tmp_path, text, **kwargs)
    return str(info.value)


# ------------------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("5s", 5.0),
        ("30m", 1800.0),
        ("1h30m", 5400.0),
        ("336h", 1_209_600.0),
        ("100ms", 0.1),
        ("1.5h", 5400.0),
        ("0", 0.0),
        ("0s", 0.0),
        ("-2m", -120.0),
        ("+.5s", 0.5),
        ("250us", 0.00025),
        ("250µs", 0.00025),
        ("7ns", 7e-9),
        ("1h1m1s1ms", 3661.001),
    ],
)
def test_parse_duration_accepts_go_syntax(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("text", ["", "5", "2d", "5 minutes", "1h 30m", "s", ".s", "5sec", "1e3s", "--1s"])
def test_parse_duration_rejects_garbage(text: str) -> None:
    with pytest.raises(DurationError, match="invalid duration"):
        parse_duration(text)


def test_parse_duration_message_names_the_bad_unit() -> None:
    with pytest.raises(DurationError, match='unknown unit "d"'):
        parse_duration("2d")
    with pytest.raises(DurationError, match="missing unit"):
        parse_duration("30")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (5400, "1h30m"), (1_209_600, "336h"), (0.1, "100ms"), (0.002, "2ms"), (90.5, "1m30.5s")],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize("seconds", [0.0, 1e-9, 3e-6, 0.0015, 1.0, 59.999, 61.0, 3600.0, 86_461.25, -7.5])
def test_format_duration_round_trips(seconds: float) -> None:
    assert parse_duration(format_duration(seconds)) == pytest.approx(seconds, abs=1e-9)


# ---------------------------------------------------------------------------------------- defaults


def test_default_config_values() -> None:
    cfg = Config.default()
    assert cfg.target == "all"
    assert cfg.multitenancy_enabled is False
    assert (cfg.server.http_listen_address, cfg.server.http_listen_port) == ("0.0.0.0", 3200)
    assert cfg.ingester.trace_idle_period == 10.0
    assert cfg.ingester.max_block_duration == 1800.0
    assert cfg.ingester.convert_workers == 1
    assert cfg.storage.trace.backend == "local"
    assert cfg.storage.trace.local.path == "./data/blocks"
    assert cfg.storage.trace.wal.path == "./data/wal"
    assert cfg.storage.trace.block.version == "vParquet-py1"
    assert cfg.storage.trace.blocklist_poll == 300.0
    assert cfg.compactor.compaction.block_retention == 336 * 3600.0
    assert cfg.querier.search.max_bytes_per_query == 5 * 1024**3
    assert cfg.distributor.max_request_bytes == 16 * 1024 * 1024


def test_no_file_enables_only_otlp() -> None:
    cfg = load_config(None, env={})
    assert cfg == Config.default()
    assert cfg.distributor.receivers.enabled() == {
        "otlp.grpc": "localhost:4317",
        "otlp.http": "localhost:4318",
    }


def test_all_receivers_helper() -> None:
    enabled = Config.default(all_receivers=True).distributor.receivers.enabled()
    assert enabled == {
        "otlp.grpc": "localhost:4317",
        "otlp.http": "localhost:4318",
        "jaeger.thrift_compact": "localhost:6831",
        "jaeger.thrift_binary": "localhost:6832",
        "jaeger.thrift_http": "localhost:14268",
        "jaeger.grpc": "localhost:14250",
        "zipkin": "localhost:9411",
        "xray": "localhost:2000",
    }


def test_config_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Config.default().server.http_listen_port = 1  # type: ignore[misc]


# ------------------------------------------------------------------------------- full Tempo YAML

TEMPO_STYLE = """\
    # The shape of Tempo's docker-compose example config.
    target: all
    multitenancy_enabled: true

    server:
      http_listen_port: 3200
      log_level: warn

    distributor:
      receivers:
        jaeger:
          protocols:
            thrift_http:
            grpc:
            thrift_binary:
            thrift_compact:
        zipkin:
        otlp:
          protocols:
            http:
            grpc:
              endpoint: "0.0.0.0:14317"

    ingester:
      trace_idle_period: 10s
      max_block_bytes: 1_000_000
      max_block_duration: 5m

    compactor:
      compaction:
        compaction_window: 1h
        max_block_bytes: 100_000_000
        block_retention: 1h
        compacted_block_retention: 10m

    storage:
      trace:
        backend: s3
        block:
          bloom_filter_false_positive: .05
        wal:
          path: /var/tempo/wal
        local:
          path: /var/tempo/blocks
        s3:
          bucket: tempo
          endpoint: minio:9000
          access_key: tempo
          secret_key: supersecret
          insecure: true
          forcepathstyle: true
        pool:
          max_workers: 100

    overrides:
      defaults:
        block_retention: 48h
      per_tenant:
        team-a:
          block_retention: 720h
"""


def test_full_tempo_style_yaml_loads(tmp_path: Path) -> None:
    cfg = load_text(tmp_path, TEMPO_STYLE)
    assert cfg.multitenancy_enabled is True
    assert cfg.server.log_level == "warn"
    assert cfg.distributor.receivers.enabled() == {
        "otlp.grpc": "0.0.0.0:14317",
        "otlp.http": "localhost:4318",
        "jaeger.thrift_compact": "localhost:6831",
        "jaeger.thrift_binary": "localhost:6832",
        "jaeger.thrift_http": "localhost:14268",
        "jaeger.grpc": "localhost:14250",
        "zipkin": "localhost:9411",
    }
    assert cfg.distributor.receivers.xray is None
    assert cfg.ingester.max_block_bytes == 1_000_000
    assert cfg.ingester.max_block_duration == 300.0
    assert cfg.compactor.compaction.compacted_block_retention == 600.0
    s3 = cfg.storage.trace.s3
    assert (s3.bucket, s3.endpoint, s3.insecure, s3.forcepathstyle) == ("tempo", "minio:9000", True, True)
    assert cfg.storage.trace.block.bloom_filter_false_positive == 0.05
    assert cfg.storage.trace.pool.max_workers == 100
    assert cfg.block_retention_for("team-a") == 720 * 3600.0
    assert cfg.block_retention_for("someone-else") == 48 * 3600.0


def test_sample_config_in_docs_loads() -> None:
    cfg = load_config(DOCS / "tempo-py.yaml", env={})
    assert cfg.storage.trace.backend == "local"
    assert "otlp.grpc" in cfg.distributor.receivers.enabled()


def test_to_dict_round_trips_and_masks_secrets(tmp_path: Path) -> None:
    cfg = load_text(tmp_path, TEMPO_STYLE)
    assert cfg.to_dict()["storage"]["trace"]["s3"]["secret_key"] == "********"
    dumped = yaml.safe_dump(cfg.to_dict(mask_secrets=False))
    assert load_text(tmp_path, dumped) == cfg


def test_empty_file_means_no_receivers(tmp_path: Path) -> None:
    cfg = load_text(tmp_path, "# nothing but a comment\n")
    assert cfg == Config()
    assert cfg.distributor.receivers.enabled() == {}


def test_retention_falls_back_to_compactor() -> None:
    assert Config.default().block_retention_for("any") == 336 * 3600.0


# ----------------------------------------------------------------------------- receiver presence


def test_receiver_present_with_null_is_enabled_with_defaults(tmp_path: Path) -> None:
    cfg = load_text(
        tmp_path,
        """
        distributor:
          receivers:
            otlp: {protocols: {grpc: }}
            xray:
        """,
    )
    receivers = cfg.distributor.receivers
    assert receivers.enabled() == {"otlp.grpc": "localhost:4317", "xray": "localhost:2000"}
    assert receivers.otlp is not None and receivers.otlp.protocols.http is None
    assert receivers.jaeger is None and receivers.zipkin is None


def test_receiver_with_no_protocols_is_an_error(tmp_path: Path) -> None:
    message = error_of(tmp_path, "distributor: {receivers: {jaeger: {protocols: {}}}}")
    assert "distributor.receivers.jaeger.protocols" in message
    assert "distributor.receivers.otlp.protocols" in error_of(tmp_path, "distributor: {receivers: {otlp: }}")


def test_endpoint_host_port() -> None:
    assert Config.endpoint_host_port("0.0.0.0:4317") == ("0.0.0.0", 4317)
    assert endpoint_host_port("localhost:9411") == ("localhost", 9411)
    assert endpoint_host_port("[::]:4318") == ("::", 4318)
    assert endpoint_host_port(":2000") == ("0.0.0.0", 2000)
    receivers = Config.default().distributor.receivers
    assert receivers.otlp is not None and receivers.otlp.protocols.grpc is not None
    assert receivers.otlp.protocols.grpc.host_port == ("localhost", 4317)
    for bad in ("4317", "host:", "host:http", "host:70000"):
        with pytest.raises(ValueError):
            endpoint_host_port(bad)


def test_bad_endpoint_names_the_key(tmp_path: Path) -> None:
    message = error_of(tmp_path, 'distributor: {receivers: {zipkin: {endpoint: "0.0.0.0:99999"}}}')
    assert message.startswith("config error: distributor.receivers.zipkin.endpoint:")
    message = error_of(tmp_path, "distributor: {receivers: {otlp: {protocols: {http: {endpoint: nope}}}}}")
    assert "distributor.receivers.otlp.protocols.http.endpoint" in message


# ----------------------------------------------------------------------------------- unknown keys


def test_unknown_nested_key_is_named_with_suggestion(tmp_path: Path) -> None:
    message = error_of(tmp_path, "storage:\n  trace:\n    bakend: s3\n")
    assert message == 'config error: unknown key "storage.trace.bakend" (did you mean "backend"?)'


def test_unknown_top_level_key(tmp_path: Path) -> None:
    message = error_of(tmp_path, "metrics_generatr:\n  registry: {}\n")
    assert message == 'config error: unknown key "metrics_generatr" (did you mean "metrics_generator"?)'


def test_unknown_key_under_receiver_and_tenant(tmp_path: Path) -> None:
    message = error_of(tmp_path, "distributor: {receivers: {zipkin: {endpiont: x}}}")
    assert 'unknown key "distributor.receivers.zipkin.endpiont" (did you mean "endpoint"?)' in message
    message = error_of(tmp_path, "overrides: {per_tenant: {acme: {block_retenion: 1h}}}")
    assert 'unknown key "overrides.per_tenant.acme.block_retenion"' in message


def test_unknown_receiver_is_an_error(tmp_path: Path) -> None:
    message = error_of(tmp_path, "distributor: {receivers: {opencensu: }}")
    assert 'unknown key "distributor.receivers.opencensu"' in message


def test_tempo_receiver_tempo_py_lacks_is_accepted_and_named(tmp_path: Path) -> None:
    _, notes = load_config_with_notes(write(tmp_path, "distributor: {receivers: {opencensus: }}"), env={})
    assert notes.no_effect == ["distributor.receivers.opencensus"]


# -------------------------------------------------------------------------------------- bad types


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("server: {http_listen_port: abc}", 'server.http_listen_port: expected an integer, got "abc"'),
        ("server: {http_listen_port: 70000}", "server.http_listen_port: 70000 is above the maximum 65535"),
        ("server: {log_format: text}", 'server.log_format: invalid value "text"'),
        (
            'storage: {trace: {blocklist_poll: "5 minutes"}}',
            'storage.trace.blocklist_poll: invalid duration "5 minutes"',
        ),
        ("ingester: {trace_idle_period: 30}", 'ingester.trace_idle_period: invalid duration "30"'),
        ("ingester: {max_block_duration: -5m}", "ingester.max_block_duration: -5m is below the minimum 0s"),
        ("storage: {trace: {backend: gcs}}", 'storage.trace.backend: invalid value "gcs" (allowed: "local"'),
        ("storage: {trace: {block: {version: vParquet9}}}", 'storage.trace.block.version: invalid value "vP'),
        ("multitenancy_enabled: yes please", "multitenancy_enabled: expected true or false"),
        ("target: everything", 'target: invalid value "everything"'),
        ("storage: {trace: {s3: {insecure: 1}}}", "storage.trace.s3.insecure: expected true or false, got 1"),
        ("server: [1, 2]", "server: expected a mapping of keys"),
        ("distributor: {ingester_count: 0}", "distributor.ingester_count: 0 is below the minimum 1"),
        ("overrides: {per_tenant: [a, b]}", "overrides.per_tenant: expected a mapping"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in error_of(tmp_path, text)


@pytest.mark.parametrize("fpr", ["0", "1", "1.5", "-0.1"])
def test_bloom_fpr_must_be_between_0_and_1(tmp_path: Path, fpr: str) -> None:
    message = error_of(tmp_path, f"storage: {{trace: {{block: {{bloom_filter_false_positive: {fpr}}}}}}}")
    assert "storage.trace.block.bloom_filter_false_positive" in message


def test_s3_requires_bucket(tmp_path: Path) -> None:
    message = error_of(tmp_path, "storage: {trace: {backend: s3, s3: {endpoint: 'minio:9000'}}}")
    assert message == 'config error: storage.trace.s3.bucket: required when storage.trace.backend is "s3"'


def test_min_input_blocks_above_max(tmp_path: Path) -> None:
    message = error_of(tmp_path, "compactor: {compaction: {min_input_blocks: 9, max_input_blocks: 4}}")
    assert "compactor.compaction.min_input_blocks" in message


def test_numeric_yaml_scalar_in_string_field_is_text(tmp_path: Path) -> None:
    cfg = load_text(tmp_path, "storage: {trace: {s3: {bucket: 12345}}}")
    assert cfg.storage.trace.s3.bucket == "12345"


def test_missing_file_and_invalid_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "absent.yaml", env={})
    assert "is not valid YAML" in error_of(tmp_path, "server: {http_listen_port: 3200\n")
    assert "top level" in error_of(tmp_path, "- a\n- b\n")


# --------------------------------------------------------------------------------- env expansion


def test_env_expansion_in_file_text(tmp_path: Path) -> None:
    text = """
        server:
          http_listen_port: ${PORT}
        storage:
          trace:
            backend: ${BACKEND:-s3}
            s3:
              bucket: ${BUCKET:-traces}
              secret_key: "pa$$word"
              region: "${REGION:-}"
        # a comment mentioning ${NOT_SET} is left alone
        """
    cfg = load_text(tmp_path, text, env={"PORT": "3300"})
    assert cfg.server.http_listen_port == 3300
    assert cfg.storage.trace.backend == "s3"
    assert cfg.storage.trace.s3.bucket == "traces"
    assert cfg.storage.trace.s3.secret_key == "pa$word"
    assert cfg.storage.trace.s3.region == ""


def test_env_expansion_unset_variable_is_an_error(tmp_path: Path) -> None:
    message = error_of(tmp_path, "storage:\n  trace:\n    s3:\n      bucket: ${S3_BUCKET}\n")
    assert 'line 4: environment variable "S3_BUCKET" is not set' in message


def test_env_expansion_can_be_disabled(tmp_path: Path) -> None:
    cfg = load_text(tmp_path, "storage: {trace: {s3: {prefix: '${X}'}}}", expand_env_vars=False)
    assert cfg.storage.trace.s3.prefix == "${X}"


# --------------------------------------------------------------------------------- env overrides


def test_env_overrides(tmp_path: Path) -> None:
    env = {
        "TEMPO_PY_STORAGE__TRACE__BACKEND": "s3",
        "TEMPO_PY_STORAGE__TRACE__S3__BUCKET": "0123",
        "TEMPO_PY_SERVER__HTTP_LISTEN_PORT": "3201",
        "TEMPO_PY_INGESTER__TRACE_IDLE_PERIOD": "1m",
        "TEMPO_PY_MULTITENANCY_ENABLED": "true",
        "TEMPO_PY_DISTRIBUTOR__RECEIVERS__ZIPKIN": "",
        "TEMPO_PY_OVERRIDES__PER_TENANT__ACME__BLOCK_RETENTION": "24h",
        "UNRELATED": "x",
    }
    cfg = load_text(tmp_path, "server: {http_listen_port: 3200}\n", env=env)
    assert cfg.storage.trace.backend == "s3"
    assert cfg.storage.trace.s3.bucket == "0123"  # string fields keep the text verbatim
    assert cfg.server.http_listen_port == 3201
    assert cfg.ingester.trace_idle_period == 60.0
    assert cfg.multitenancy_enabled is True
    assert cfg.distributor.receivers.enabled() == {"zipkin": "localhost:9411"}
    assert cfg.block_retention_for("acme") == 86_400.0


def test_env_overrides_apply_without_a_file() -> None:
    cfg = load_config(None, env={"TEMPO_PY_DISTRIBUTOR__RECEIVERS__OTLP__PROTOCOLS__HTTP": "false"})
    assert cfg.distributor.receivers.enabled() == {"otlp.grpc": "localhost:4317"}


def test_env_unknown_key_names_key_and_variable() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(None, env={"TEMPO_PY_STORAGE__TRACE__BAKEND": "s3"})
    assert str(info.value) == (
        'config error: unknown key "storage.trace.bakend" (did you mean "backend"?) '
        "(from environment variable TEMPO_PY_STORAGE__TRACE__BAKEND)"
    )


def test_env_bad_value_names_key() -> None:
    with pytest.raises(
        ConfigError, match=re.escape('server.http_listen_port: expected an integer, got "abc"')
    ):
        load_config(None, env={"TEMPO_PY_SERVER__HTTP_LISTEN_PORT": "abc"})


def test_env_key_below_a_leaf_is_unknown() -> None:
    with pytest.raises(ConfigError, match=re.escape('unknown key "target.x"')):
        load_config(None, env={"TEMPO_PY_TARGET__X": "1"})


# ----------------------------------------------------------------------------------- --set flags


def test_set_overrides_win_over_env(tmp_path: Path) -> None:
    cfg = load_text(
        tmp_path,
        "storage: {trace: {backend: local}}\n",
        env={"TEMPO_PY_STORAGE__TRACE__BACKEND": "memory"},
        overrides=[
            "storage.trace.backend=s3",
            "storage.trace.s3.bucket=b",
            "compactor.compaction.block_retention=1h30m",
            "distributor.receivers.jaeger.protocols.thrift_http.endpoint=127.0.0.1:14269",
        ],
    )
    assert cfg.storage.trace.backend == "s3"
    assert cfg.compactor.compaction.block_retention == 5400.0
    assert cfg.distributor.receivers.enabled() == {"jaeger.thrift_http": "127.0.0.1:14269"}


def test_set_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape('unknown key "server.htp_listen_port"')):
        load_config(None, env={}, overrides=["server.htp_listen_port=1"])
    with pytest.raises(ConfigError, match=re.escape('expected "key.path=value"')):
        load_config(None, env={}, overrides=["server.http_listen_port"])
    with pytest.raises(ConfigError, match=re.escape('storage.trace.blocklist_poll: invalid duration "soon"')):
        load_config(None, env={}, overrides=["storage.trace.blocklist_poll=soon"])


# ------------------------------------------------------------------------------------------ docs


def _schema_keys(cls: type, prefix: str = "") -> list[str]:
    keys = []
    for f in dataclasses.fields(cls):
        dotted = f"{prefix}{f.name}"
        keys.append(dotted)
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        tp = type(default)
        if dataclasses.is_dataclass(tp):
            keys.extend(_schema_keys(tp, dotted + "."))
    return keys


def test_every_key_is_documented() -> None:
    doc = (DOCS / "configuration.md").read_text(encoding="utf-8")
    all_on = Config.default(all_receivers=True)
    keys = _schema_keys(type(all_on))
    # Optional receiver sections default to None; walk their classes through an all-enabled config.
    receivers = all_on.distributor.receivers
    for name in ("otlp", "jaeger", "zipkin", "xray"):
        keys.extend(_schema_keys(type(getattr(receivers, name)), f"distributor.receivers.{name}."))
    otlp, jaeger = receivers.otlp, receivers.jaeger
    assert otlp is not None and jaeger is not None
    for proto, _ in vars(otlp.protocols).items():
        keys.append(f"distributor.receivers.otlp.protocols.{proto}.endpoint")
    for proto, _ in vars(jaeger.protocols).items():
        keys.append(f"distributor.receivers.jaeger.protocols.{proto}.endpoint")
    missing = [k for k in keys if f"`{k}`" not in doc]
    assert not missing, f"undocumented keys: {missing}"


# ------------------------------------------------------------------------- Grafana Tempo's keys


def notes_of(tmp_path: Path, text: str) -> tuple[Config, Any]:
    return load_config_with_notes(write(tmp_path, text), env={})


def test_tempo_keys_without_effect_are_accepted_and_each_named_once(tmp_path: Path) -> None:
    cfg, notes = notes_of(
        tmp_path,
        """
        stream_over_http_enabled: true
        server: {http_listen_port: 3300, grpc_listen_port: 9095, log_level: warn}
        memberlist: {join_members: [a:7946], bind_port: 7946}
        ingester: {lifecycler: {ring: {replication_factor: 1}}, max_block_duration: 5m}
        querier: {frontend_worker: {frontend_address: qf:9095}}
        storage: {trace: {pool: {max_workers: 10, queue_depth: 100}}}
        """,
    )
    assert cfg.server.http_listen_port == 3300 and cfg.ingester.max_block_duration == 300
    assert notes.no_effect == [
        "stream_over_http_enabled",
        "server.grpc_listen_port",
        "memberlist",
        "ingester.lifecycler",
        "querier.frontend_worker",
        "storage.trace.pool.queue_depth",
    ]
    (line,) = notes.warning_lines()
    assert line.startswith("accepted for Tempo compatibility, no effect: stream_over_http_enabled, ")


def test_every_misspelling_is_reported_in_one_error(tmp_path: Path) -> None:
    message = error_of(
        tmp_path,
        """
        server: {http_listen_prot: 1}
        memberlist: {}
        storage: {trace: {bakend: s3}}
        live_store: {readiness_max_wiat: 1s}
        """,
    )
    assert message.startswith("config error: 3 unknown keys: ")
    assert 'unknown key "server.http_listen_prot" (did you mean "http_listen_port"?)' in message
    assert 'unknown key "storage.trace.bakend" (did you mean "backend"?)' in message
    assert 'unknown key "live_store.readiness_max_wiat" (did you mean "readiness_max_wait"?)' in message


def test_tempo_keys_with_a_meaning_are_mapped(tmp_path: Path) -> None:
    cfg, notes = notes_of(
        tmp_path,
        """
        auth_enabled: true
        live_store: {max_block_duration: 5s, max_trace_idle: 1s, flush_check_period: 2s}
        backend_worker: {compaction: {block_retention: 1h}}
        backend_scheduler: {provider: {compaction: {compaction: {block_retention: 1h}}}}
        query_frontend: {search: {default_result_limit: 50, concurrent_jobs: 100}}
        overrides: {per_tenant: {acme: {compaction: {block_retention: 2h}}}}
        """,
    )
    assert cfg.multitenancy_enabled
    assert cfg.ingester.max_block_duration == 5 and cfg.ingester.trace_idle_period == 1
    assert cfg.ingester.flush_check_period == 2
    assert cfg.compactor.compaction.block_retention == 3600
    assert cfg.querier.search.default_limit == 50
    assert cfg.overrides.per_tenant["acme"].block_retention == 7200
    assert ("live_store.max_block_duration", "ingester.max_block_duration") in notes.mapped
    assert notes.no_effect == ["query_frontend.search.concurrent_jobs"]
    assert notes.warnings == []  # both compaction sources agree


def test_tempo_overrides_nested_and_legacy_forms(tmp_path: Path) -> None:
    cfg, notes = notes_of(
        tmp_path, "overrides: {defaults: {compaction: {block_retention: 48h}, ingestion: {}}}"
    )
    assert cfg.overrides.defaults.block_retention == 48 * 3600
    assert notes.no_effect == ["overrides.defaults.ingestion"]
    cfg, notes = notes_of(tmp_path, "overrides: {block_retention: 24h, max_traces_per_user: 5}")
    assert cfg.overrides.defaults.block_retention == 24 * 3600
    assert notes.no_effect == ["overrides.max_traces_per_user"]


def test_ours_win_over_tempo_aliases(tmp_path: Path) -> None:
    cfg, notes = notes_of(
        tmp_path, "ingester: {max_block_duration: 1m}\nlive_store: {max_block_duration: 5s}"
    )
    assert cfg.ingester.max_block_duration == 60
    assert notes.warnings == [
        "live_store.max_block_duration is not used: ingester.max_block_duration is set and wins"
    ]


@pytest.mark.parametrize("version", ["vParquet4", "vParquet5"])
def test_tempo_block_version_is_accepted_with_a_warning(tmp_path: Path, version: str) -> None:
    cfg, notes = notes_of(tmp_path, f"storage: {{trace: {{block: {{version: {version}}}}}}}")
    assert cfg.storage.trace.block.version == "vParquet-py1"
    (warning,) = notes.warnings
    assert f'"{version}" is a Grafana Tempo encoding' in warning and '"vParquet-py1"' in warning


@pytest.mark.parametrize(
    ("tempo", "ours"),
    [("scalable-single-binary", "all"), ("query-frontend", "querier"), ("backend-worker", "compactor")],
)
def test_tempo_targets(tmp_path: Path, tempo: str, ours: str) -> None:
    cfg, notes = notes_of(tmp_path, f"target: {tempo}")
    assert cfg.target == ours and tempo in notes.warnings[0]


SHARED = Path("/work/shared/tempo-configs")


@pytest.mark.skipif(not SHARED.is_dir(), reason="no shared Tempo configs on this machine")
@pytest.mark.parametrize("name", sorted(p.name for p in SHARED.glob("*.yaml")) if SHARED.is_dir() else [])
def test_real_tempo_configs_load(name: str) -> None:
    env = {"HTTP_PORT": "3200", "S3_BUCKET": "b", "S3_ENDPOINT": "s3:9000"}
    cfg, _ = load_config_with_notes(SHARED / name, env=env)
    assert cfg.server.http_listen_port in (3200, 3100)
