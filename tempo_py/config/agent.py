"""The agent's configuration file (``tempo-py agent --config agent.yaml``): keys and loading.

Same machinery and conventions as the server's config (:mod:`tempo_py.config`): typed dataclasses
with every default written here, Go-style durations, ``${VAR}`` / ``${VAR:-default}`` expanded in
the file (how the DaemonSet passes the Downward API's node name), ``--set key=value`` overrides,
errors naming the key. ``receivers`` takes exactly the keys of the server's
``distributor.receivers``; absent, every receiver is on at its default endpoint.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tempo_py.config.build import ConfigError, Duration, build
from tempo_py.config.files import apply_set_items, read_yaml
from tempo_py.config.receivers import ReceiversConfig, check_receivers, endpoint_host_port

_PORT = {"min": 0, "max": 65535}
_POSITIVE = {"min": 1}


@dataclass(frozen=True)
class AgentServerConfig:
    """``server``: the agent's own HTTP port (/ready, /metrics)."""

    http_listen_address: str = "0.0.0.0"
    http_listen_port: int = field(default=3201, metadata=_PORT)


@dataclass(frozen=True)
class ForwardConfig:
    """``forward``: where and how queued spans go on (OTLP over gRPC to the distributors)."""

    endpoint: str = "localhost:4317"  # host:port of the distributors' OTLP gRPC receiver
    timeout: Duration = 10.0  # deadline of one Export call
    batch_max_spans: int = field(default=8192, metadata=_POSITIVE)
    batch_max_bytes: int = field(default=4 * 1024 * 1024, metadata=_POSITIVE)
    batch_timeout: Duration = 0.2  # how long a batch waits for more spans once it has one
    retry_initial_interval: Duration = 0.1  # first backoff when the reply carries no RetryInfo
    retry_max_interval: Duration = 30.0  # backoff cap, also for a server's RetryInfo
    shutdown_timeout: Duration = 10.0  # on SIGTERM: how long the batch in flight may take


@dataclass(frozen=True)
class QueueConfig:
    """``queue``: the bounded on-disk queue between the receivers and the forwarder."""

    path: str = "./data/agent-queue"
    max_bytes: int = field(default=1024 * 1024 * 1024, metadata=_POSITIVE)
    segment_bytes: int = field(default=16 * 1024 * 1024, metadata={"min": 65536})


@dataclass(frozen=True)
class KubernetesConfig:
    """``kubernetes``: resource attributes added to every span's resource that lacks them."""

    cluster_name: str = ""  # k8s.cluster.name
    node_name: str = ""  # k8s.node.name, e.g. "${K8S_NODE_NAME:-}" from the Downward API
    pod_name: str = ""  # k8s.pod.name (sidecar use)
    namespace_name: str = ""  # k8s.namespace.name (sidecar use)
    pod_uid: str = ""  # k8s.pod.uid (sidecar use)


@dataclass(frozen=True)
class AgentConfig:
    """The agent's whole configuration."""

    server: AgentServerConfig = field(default_factory=AgentServerConfig)
    receivers: ReceiversConfig = field(default_factory=ReceiversConfig.all_enabled)
    max_request_bytes: int = field(default=8 * 1024 * 1024, metadata=_POSITIVE)
    forward: ForwardConfig = field(default_factory=ForwardConfig)
    queue: QueueConfig = field(default_factory=QueueConfig)
    kubernetes: KubernetesConfig = field(default_factory=KubernetesConfig)


def check(cfg: AgentConfig) -> None:
    """Cross-field rules."""
    rx = cfg.receivers
    if not rx.enabled():
        raise ConfigError("receivers: enable at least one receiver")
    check_receivers(rx, "receivers")
    for name in rx.tls():
        raise ConfigError(f"receivers.{name.replace('.', '.protocols.')}.tls: the agent serves no TLS yet")
    try:
        endpoint_host_port(cfg.forward.endpoint)
    except ValueError as exc:
        raise ConfigError(f"forward.endpoint: {exc}") from None
    if cfg.queue.segment_bytes > cfg.queue.max_bytes:
        raise ConfigError(
            f"queue.segment_bytes: {cfg.queue.segment_bytes} is above queue.max_bytes ({cfg.queue.max_bytes})"
        )
    if 2 * cfg.max_request_bytes > cfg.queue.segment_bytes:
        raise ConfigError(
            f"queue.segment_bytes: {cfg.queue.segment_bytes} must be at least twice max_request_bytes "
            f"({cfg.max_request_bytes}), room for a request and the attributes the agent adds"
        )
    if not cfg.queue.path:
        raise ConfigError("queue.path: must not be empty")


def load_agent_config(
    path: str | os.PathLike[str] | None,
    overrides: Sequence[str] = (),
    env: dict[str, str] | None = None,
) -> AgentConfig:
    """The YAML file at ``path`` (None: every default) with ``${VAR}`` expanded, then ``--set`` items."""
    raw: dict[str, Any] = {}
    if path is not None:
        raw = read_yaml(path, os.environ if env is None else env)
    apply_set_items(raw, AgentConfig, overrides)
    cfg = build(AgentConfig, raw)
    check(cfg)
    return cfg
