"""One real ``tempo-py serve`` with every receiver on, shared by the protocol end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.support.server import TempoServer, free_port, free_udp_port

# Small enough that the oversized-body tests stay cheap, large enough for every real client.
MAX_REQUEST_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Ports:
    """Where each receiver listens (all on 127.0.0.1)."""

    jaeger_compact: int
    jaeger_binary: int
    jaeger_http: int
    jaeger_grpc: int
    zipkin: int
    xray: int


@dataclass(frozen=True)
class ProtocolServer:
    """The running server and its receiver ports."""

    srv: TempoServer
    ports: Ports

    @property
    def jaeger_http_url(self) -> str:
        """Jaeger collector Thrift-over-HTTP endpoint."""
        return f"http://127.0.0.1:{self.ports.jaeger_http}/api/traces"

    @property
    def zipkin_url(self) -> str:
        """Zipkin base URL (append /api/v2/spans or /api/v1/spans)."""
        return f"http://127.0.0.1:{self.ports.zipkin}"


def receiver_config(ports: Ports) -> dict[str, object]:
    """``distributor.receivers`` with Jaeger (4 protocols), Zipkin and X-Ray on the given ports."""
    at = "127.0.0.1:{}".format
    return {
        "jaeger": {
            "protocols": {
                "thrift_compact": {"endpoint": at(ports.jaeger_compact)},
                "thrift_binary": {"endpoint": at(ports.jaeger_binary)},
                "thrift_http": {"endpoint": at(ports.jaeger_http)},
                "grpc": {"endpoint": at(ports.jaeger_grpc)},
            }
        },
        "zipkin": {"endpoint": at(ports.zipkin)},
        "xray": {"endpoint": at(ports.xray)},
    }


@pytest.fixture(scope="session")
def protocol_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProtocolServer]:
    """Started once per session: each test uses fresh trace IDs, so they do not see each other."""
    ports = Ports(
        jaeger_compact=free_udp_port(),
        jaeger_binary=free_udp_port(),
        jaeger_http=free_port(),
        jaeger_grpc=free_port(),
        zipkin=free_port(),
        xray=free_udp_port(),
    )
    config = {
        "distributor": {"receivers": receiver_config(ports), "max_request_bytes": MAX_REQUEST_BYTES},
    }
    srv = TempoServer(tmp_path_factory.mktemp("protocols"), config).start()
    try:
        yield ProtocolServer(srv, ports)
    finally:
        srv.kill()
