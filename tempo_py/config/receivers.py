"""Receiver sections of the config (``distributor.receivers``) and endpoint helpers.

Tempo (through the OpenTelemetry Collector it embeds) enables a receiver, and each protocol of a
receiver, exactly when its key is present in the YAML, even as ``zipkin:`` with a null value. So
every receiver and protocol below is an optional section: ``None`` means disabled. Each protocol
class carries its own default endpoint, the port clients use out of the box.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tempo_py.config.build import ConfigError

__all__ = [
    "JaegerGrpc",
    "JaegerProtocols",
    "JaegerReceiverConfig",
    "JaegerThriftBinary",
    "JaegerThriftCompact",
    "JaegerThriftHttp",
    "OtlpGrpcProtocol",
    "OtlpHttpProtocol",
    "OtlpProtocols",
    "OtlpReceiverConfig",
    "ReceiverTlsConfig",
    "ReceiversConfig",
    "XrayReceiverConfig",
    "ZipkinReceiverConfig",
    "endpoint_host_port",
]


def endpoint_host_port(endpoint: str) -> tuple[str, int]:
    """Split a receiver endpoint ``"host:port"`` into ``(host, port)``.

    ``"[::]:4317"`` gives host ``"::"``; an empty host (``":4317"``, Go's "all interfaces") gives
    ``"0.0.0.0"``. Raises ValueError for a missing or out-of-range port.
    """
    host, sep, port_text = endpoint.rpartition(":")
    if not sep or not port_text.isdigit():
        raise ValueError(f'invalid endpoint "{endpoint}": expected "host:port", e.g. "0.0.0.0:4317"')
    port = int(port_text)
    if port > 65535:
        raise ValueError(f'invalid endpoint "{endpoint}": port {port} is above 65535')
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host or "0.0.0.0", port


@dataclass(frozen=True)
class _Endpoint:
    """A listener address; subclasses set each protocol's default."""

    endpoint: str = ""

    @property
    def host_port(self) -> tuple[str, int]:
        """The endpoint split into ``(host, port)``; see :func:`endpoint_host_port`."""
        return endpoint_host_port(self.endpoint)


@dataclass(frozen=True)
class ReceiverTlsConfig:
    """``<protocol>.tls``: the OpenTelemetry Collector's server TLS keys (configtls), as Tempo takes them.

    Present = TLS on; then ``cert_file`` and ``key_file`` are required. ``client_ca_file`` makes
    the receiver require and verify client certificates (mTLS), as in the Collector.
    ``min_version``: the oldest TLS version accepted; gRPC receivers can only enforce "1.2"
    (grpcio exposes no version setting), so "1.3" there stops startup (tempo_py/app/tls.py).
    """

    cert_file: str = ""
    key_file: str = ""
    client_ca_file: str = ""
    # A string, not a choice: YAML reads an unquoted 1.2 as a number, which the Collector accepts.
    # "1.2" or "1.3", checked where the context is built (tempo_py/app/tls.py).
    min_version: str = "1.2"


@dataclass(frozen=True)
class _TlsEndpoint(_Endpoint):
    """A TCP listener, which may serve TLS (``tls`` present)."""

    tls: ReceiverTlsConfig | None = None


@dataclass(frozen=True)
class OtlpGrpcProtocol(_TlsEndpoint):
    """``distributor.receivers.otlp.protocols.grpc``: OTLP over gRPC."""

    endpoint: str = "localhost:4317"


@dataclass(frozen=True)
class OtlpHttpProtocol(_TlsEndpoint):
    """``distributor.receivers.otlp.protocols.http``: OTLP over HTTP (protobuf and JSON)."""

    endpoint: str = "localhost:4318"


@dataclass(frozen=True)
class OtlpProtocols:
    """``distributor.receivers.otlp.protocols``: each protocol is on only if its key is present."""

    grpc: OtlpGrpcProtocol | None = None
    http: OtlpHttpProtocol | None = None


@dataclass(frozen=True)
class OtlpReceiverConfig:
    """``distributor.receivers.otlp``."""

    protocols: OtlpProtocols = field(default_factory=OtlpProtocols)


@dataclass(frozen=True)
class JaegerThriftCompact(_Endpoint):
    """``...jaeger.protocols.thrift_compact``: UDP, the jaeger-client agent protocol."""

    endpoint: str = "localhost:6831"


@dataclass(frozen=True)
class JaegerThriftBinary(_Endpoint):
    """``...jaeger.protocols.thrift_binary``: UDP, binary Thrift."""

    endpoint: str = "localhost:6832"


@dataclass(frozen=True)
class JaegerThriftHttp(_TlsEndpoint):
    """``...jaeger.protocols.thrift_http``: HTTP POST /api/traces (collector protocol)."""

    endpoint: str = "localhost:14268"


@dataclass(frozen=True)
class JaegerGrpc(_TlsEndpoint):
    """``...jaeger.protocols.grpc``: the Jaeger collector gRPC API."""

    endpoint: str = "localhost:14250"


@dataclass(frozen=True)
class JaegerProtocols:
    """``distributor.receivers.jaeger.protocols``: each protocol is on only if its key is present."""

    thrift_compact: JaegerThriftCompact | None = None
    thrift_binary: JaegerThriftBinary | None = None
    thrift_http: JaegerThriftHttp | None = None
    grpc: JaegerGrpc | None = None


@dataclass(frozen=True)
class JaegerReceiverConfig:
    """``distributor.receivers.jaeger``."""

    protocols: JaegerProtocols = field(default_factory=JaegerProtocols)


@dataclass(frozen=True)
class ZipkinReceiverConfig(_TlsEndpoint):
    """``distributor.receivers.zipkin``: Zipkin v1/v2 JSON and v2 protobuf on POST /api/v2/spans."""

    endpoint: str = "localhost:9411"


@dataclass(frozen=True)
class XrayReceiverConfig(_Endpoint):
    """``distributor.receivers.xray``: AWS X-Ray segment documents over UDP (daemon protocol)."""

    endpoint: str = "localhost:2000"


@dataclass(frozen=True)
class ReceiversConfig:
    """``distributor.receivers``: a receiver is enabled only if its key is present (Tempo semantics)."""

    otlp: OtlpReceiverConfig | None = None
    jaeger: JaegerReceiverConfig | None = None
    zipkin: ZipkinReceiverConfig | None = None
    xray: XrayReceiverConfig | None = None

    @classmethod
    def all_enabled(cls) -> ReceiversConfig:
        """Every receiver and every protocol on, at its default endpoint."""
        return cls(
            otlp=OtlpReceiverConfig(OtlpProtocols(grpc=OtlpGrpcProtocol(), http=OtlpHttpProtocol())),
            jaeger=JaegerReceiverConfig(
                JaegerProtocols(
                    thrift_compact=JaegerThriftCompact(),
                    thrift_binary=JaegerThriftBinary(),
                    thrift_http=JaegerThriftHttp(),
                    grpc=JaegerGrpc(),
                )
            ),
            zipkin=ZipkinReceiverConfig(),
            xray=XrayReceiverConfig(),
        )

    def enabled(self) -> dict[str, str]:
        """Enabled receiver protocols as ``{"otlp.grpc": "0.0.0.0:4317", ...}`` (name -> endpoint)."""
        out: dict[str, str] = {}
        if self.otlp is not None:
            for name in ("grpc", "http"):
                proto: _Endpoint | None = getattr(self.otlp.protocols, name)
                if proto is not None:
                    out[f"otlp.{name}"] = proto.endpoint
        if self.jaeger is not None:
            for name in ("thrift_compact", "thrift_binary", "thrift_http", "grpc"):
                proto = getattr(self.jaeger.protocols, name)
                if proto is not None:
                    out[f"jaeger.{name}"] = proto.endpoint
        if self.zipkin is not None:
            out["zipkin"] = self.zipkin.endpoint
        if self.xray is not None:
            out["xray"] = self.xray.endpoint
        return out

    def tls(self) -> dict[str, ReceiverTlsConfig]:
        """TLS sections of the enabled TCP protocols, by the names :meth:`enabled` uses."""
        protocols: dict[str, _Endpoint | None] = {}
        if self.otlp is not None:
            protocols["otlp.grpc"] = self.otlp.protocols.grpc
            protocols["otlp.http"] = self.otlp.protocols.http
        if self.jaeger is not None:
            protocols["jaeger.thrift_http"] = self.jaeger.protocols.thrift_http
            protocols["jaeger.grpc"] = self.jaeger.protocols.grpc
        protocols["zipkin"] = self.zipkin
        return {
            name: proto.tls
            for name, proto in protocols.items()
            if isinstance(proto, _TlsEndpoint) and proto.tls is not None
        }


def check_receivers(receivers: ReceiversConfig, prefix: str) -> None:
    """A receiver with no protocol is a mistake, not "off" (as the OpenTelemetry Collector says);
    every enabled endpoint must parse. Errors name the key under ``prefix``."""
    if receivers.otlp is not None and not (receivers.otlp.protocols.grpc or receivers.otlp.protocols.http):
        raise ConfigError(f"{prefix}.otlp.protocols: enable at least one of grpc, http")
    if receivers.jaeger is not None and not any(vars(receivers.jaeger.protocols).values()):
        raise ConfigError(
            f"{prefix}.jaeger.protocols: enable at least one of "
            "thrift_compact, thrift_binary, thrift_http, grpc"
        )
    for name, endpoint in receivers.enabled().items():
        key = f"{prefix}.{name.replace('.', '.protocols.')}.endpoint"
        try:
            endpoint_host_port(endpoint)
        except ValueError as exc:
            raise ConfigError(f"{key}: {exc}") from None
