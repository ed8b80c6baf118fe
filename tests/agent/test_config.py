"""The agent's config file: defaults, ${VAR} expansion, --set, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tempo_py.config import ConfigError
from tempo_py.config.agent import AgentConfig, load_agent_config


def test_defaults_turn_every_receiver_on() -> None:
    cfg = load_agent_config(None)
    assert cfg == AgentConfig()
    assert set(cfg.receivers.enabled()) == {
        "otlp.grpc",
        "otlp.http",
        "jaeger.thrift_compact",
        "jaeger.thrift_binary",
        "jaeger.thrift_http",
        "jaeger.grpc",
        "zipkin",
        "xray",
    }


def test_file_env_and_set(tmp_path: Path) -> None:
    f = tmp_path / "agent.yaml"
    f.write_text(
        "receivers:\n  zipkin:\n"
        "forward: {endpoint: 'dist:4317', batch_timeout: 50ms}\n"
        "kubernetes: {node_name: '${NODE}', cluster_name: '${CLUSTER:-}'}\n"
    )
    cfg = load_agent_config(f, ["queue.max_bytes=99999999"], env={"NODE": "n-7"})
    assert list(cfg.receivers.enabled()) == ["zipkin"]
    assert cfg.forward.endpoint == "dist:4317" and cfg.forward.batch_timeout == 0.05
    assert cfg.kubernetes.node_name == "n-7" and cfg.kubernetes.cluster_name == ""
    assert cfg.queue.max_bytes == 99999999


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("forwrd: {}", 'unknown key "forwrd"'),
        ("forward: {endpoint: nope}", "forward.endpoint"),
        ("receivers: {}", "receivers: enable at least one"),
        (
            "receivers: {zipkin: {tls: {cert_file: a, key_file: b}}}",
            "receivers.zipkin.tls: the agent serves no TLS yet",
        ),
        ("queue: {segment_bytes: 1000000}", "queue.segment_bytes"),
        ("kubernetes: {node_name: '${UNSET_VAR_X}'}", "UNSET_VAR_X"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "agent.yaml"
    f.write_text(text + "\n")
    with pytest.raises(ConfigError, match=message.replace("{", r"\{")):
        load_agent_config(f, env={})
