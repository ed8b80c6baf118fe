"""The receivers that carry headers besides OTLP (Jaeger HTTP and gRPC, Zipkin), on free loopback ports,
with what the tenant and auth tests send them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc

from tempo_py.distributor.receivers.jaeger import api_v2
from tests.support.server import free_port


@dataclass(frozen=True)
class HeaderReceivers:
    """Where the receivers listen, and the ``distributor.receivers`` config that puts them there."""

    zipkin_url: str
    thrift_url: str
    grpc_target: str
    config: dict[str, Any]


def header_receivers() -> HeaderReceivers:
    """Jaeger thrift_http + grpc and Zipkin, each on its own free port."""
    jaeger_http, jaeger_grpc, zipkin = free_port(), free_port(), free_port()
    config = {
        "jaeger": {
            "protocols": {
                "thrift_http": {"endpoint": f"127.0.0.1:{jaeger_http}"},
                "grpc": {"endpoint": f"127.0.0.1:{jaeger_grpc}"},
            }
        },
        "zipkin": {"endpoint": f"127.0.0.1:{zipkin}"},
    }
    return HeaderReceivers(
        zipkin_url=f"http://127.0.0.1:{zipkin}/api/v2/spans",
        thrift_url=f"http://127.0.0.1:{jaeger_http}/api/traces",
        grpc_target=f"127.0.0.1:{jaeger_grpc}",
        config=config,
    )


def zipkin_body() -> bytes:
    """One Zipkin v2 JSON span starting now (older spans fall outside retention)."""
    span = {
        "traceId": "5af7183fb1d4cf5f5af7183fb1d4cf5f",
        "id": "352bff9a74ca9ad2",
        "name": "get",
        "timestamp": time.time_ns() // 1000,
        "duration": 1000,
        "localEndpoint": {"serviceName": "svc"},
    }
    return json.dumps([span]).encode()


# An empty Thrift batch is enough where the tenant is judged before the body.
EMPTY_THRIFT = b"\x00"


def post_spans(channel: grpc.Channel) -> Callable[..., Any]:
    """Jaeger's gRPC ``PostSpans`` on ``channel``, taking a ``PostSpansRequest``."""
    call: Callable[..., Any] = channel.unary_unary(
        api_v2.POST_SPANS_METHOD,
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=api_v2.PostSpansResponse.FromString,
    )
    return call


def post_spans_request() -> api_v2.PostSpansRequest:
    """A PostSpansRequest with a process and no spans."""
    req = api_v2.PostSpansRequest()
    req.batch.process.service_name = "svc"
    return req
