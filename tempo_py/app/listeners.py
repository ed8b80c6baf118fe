"""Every address a process listens on, checked before anything starts, and listed once it has.

A port in use or a host that does not resolve is a setup mistake, so :func:`preflight` names the
listener, its config key and the reason ("address already in use", "host does not resolve")
before any module starts, instead of an OSError surfacing later from deep inside a server.
The check binds and closes a socket, so a port taken between the check and the real bind still
fails at the bind (with the OS's message).
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass

from tempo_py.config import Config, endpoint_host_port

__all__ = ["ListenError", "Listener", "listeners", "preflight"]

# Receivers that listen on UDP; the others are TCP.
_UDP = {"jaeger.thrift_compact", "jaeger.thrift_binary", "xray"}


class ListenError(ValueError):
    """A listener cannot be opened; the message names it, its config key and why (a ValueError, so
    the CLI prints it as one line, as it does config errors)."""


@dataclass(frozen=True)
class Listener:
    """One listening socket of the process."""

    name: str  # "http", "jaeger-query", "otlp.grpc", ...
    key: str  # the config key that sets it
    host: str
    port: int
    udp: bool = False

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.name} {host}:{self.port}{'/udp' if self.udp else ''}"


def listeners(cfg: Config) -> list[Listener]:
    """The sockets ``cfg``'s target opens: the HTTP API, jaeger-query's port, and the receivers
    (only where the distributor runs beside ingesters, as :class:`tempo_py.app.process.App` does)."""
    server = cfg.server
    out = [Listener("http", "server.http_listen_port", server.http_listen_address, server.http_listen_port)]
    jq = cfg.querier.jaeger_query
    if jq.listen_port and cfg.target in ("all", "querier"):
        out.append(
            Listener(
                "jaeger-query",
                "querier.jaeger_query.listen_port",
                jq.listen_address or server.http_listen_address,
                jq.listen_port,
            )
        )
    js = cfg.sampling.jaeger
    if js.enabled:
        host = js.listen_address or server.http_listen_address
        if js.listen_port:
            out.append(Listener("jaeger-sampling", "sampling.jaeger.listen_port", host, js.listen_port))
        if js.grpc_listen_port:
            key = "sampling.jaeger.grpc_listen_port"
            out.append(Listener("jaeger-sampling.grpc", key, host, js.grpc_listen_port))
    xs = cfg.sampling.xray
    if xs.enabled and xs.listen_port:
        host = xs.listen_address or server.http_listen_address
        out.append(Listener("xray-sampling", "sampling.xray.listen_port", host, xs.listen_port))
    if cfg.target == "all":
        for name, endpoint in cfg.distributor.receivers.enabled().items():
            host, port = endpoint_host_port(endpoint)
            key = f"distributor.receivers.{name.replace('.', '.protocols.')}.endpoint"
            out.append(Listener(name, key, host, port, udp=name in _UDP))
    return out


def _reason(exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return "address already in use (another process listens there)"
    if exc.errno == errno.EADDRNOTAVAIL:
        return "address not available on this machine"
    if exc.errno == errno.EACCES:
        return "permission denied (ports below 1024 need privileges)"
    return exc.strerror or str(exc)


def preflight(items: list[Listener]) -> None:
    """Resolve and test-bind every listener; raise :class:`ListenError` naming the first that fails."""
    for item in items:
        kind = socket.SOCK_DGRAM if item.udp else socket.SOCK_STREAM
        try:
            infos = socket.getaddrinfo(item.host, item.port, type=kind, flags=socket.AI_PASSIVE)
        except socket.gaierror as exc:
            raise ListenError(
                f'cannot listen for {item.name} on {item.host}:{item.port} ({item.key}): host "{item.host}" '
                f"does not resolve ({exc.strerror})"
            ) from None
        if item.port == 0:
            continue
        family, socktype, proto, _, addr = infos[0]
        with socket.socket(family, socktype, proto) as sock:
            if not item.udp:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
            try:
                sock.bind(addr)
            except OSError as exc:
                raise ListenError(
                    f"cannot listen for {item.name} on {item.host}:{item.port} ({item.key}): {_reason(exc)}"
                ) from None
