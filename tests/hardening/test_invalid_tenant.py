"""A malformed X-Scope-OrgID is the client's mistake on every receiver: 400 / INVALID_ARGUMENT.

Before, Jaeger HTTP and Zipkin answered 500 and Jaeger gRPC UNKNOWN: their tenant lookup caught only
the missing-tenant error.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable

import grpc
import pytest

from tempo_py.distributor.receivers.jaeger import api_v2
from tests.support.server import TempoServer, free_port

ServerFactory = Callable[..., TempoServer]
BAD = "../etc"


def _post(url: str, body: bytes, ctype: str, tenant: str) -> int:
    req = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": ctype, "X-Scope-OrgID": tenant}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def test_invalid_tenant_is_400_on_jaeger_and_zipkin(tempo_server_factory: ServerFactory) -> None:
    jaeger_http, jaeger_grpc, zipkin = free_port(), free_port(), free_port()
    srv = tempo_server_factory(
        {
            "multitenancy_enabled": True,
            "distributor": {
                "receivers": {
                    "jaeger": {
                        "protocols": {
                            "thrift_http": {"endpoint": f"127.0.0.1:{jaeger_http}"},
                            "grpc": {"endpoint": f"127.0.0.1:{jaeger_grpc}"},
                        }
                    },
                    "zipkin": {"endpoint": f"127.0.0.1:{zipkin}"},
                }
            },
        }
    )
    span = {
        "traceId": "5af7183fb1d4cf5f5af7183fb1d4cf5f",
        "id": "352bff9a74ca9ad2",
        "name": "get",
        "timestamp": time.time_ns() // 1000,  # now: older spans fall outside retention
        "duration": 1000,
        "localEndpoint": {"serviceName": "svc"},
    }
    body = json.dumps([span]).encode()
    zipkin_url = f"http://127.0.0.1:{zipkin}/api/v2/spans"
    assert _post(zipkin_url, body, "application/json", BAD) == 400
    assert _post(zipkin_url, body, "application/json", "team-z") == 202
    # an empty Thrift batch is enough: the tenant is judged before the body
    thrift_url = f"http://127.0.0.1:{jaeger_http}/api/traces"
    assert _post(thrift_url, b"\x00", "application/x-thrift", BAD) == 400

    req = api_v2.PostSpansRequest()
    req.batch.process.service_name = "svc"
    with grpc.insecure_channel(f"127.0.0.1:{jaeger_grpc}") as ch:
        call = ch.unary_unary(
            api_v2.POST_SPANS_METHOD,
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=api_v2.PostSpansResponse.FromString,
        )
        with pytest.raises(grpc.RpcError) as info:
            call(req, metadata=(("x-scope-orgid", BAD),), timeout=10)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    srv.flush()
    assert sorted(p.name for p in (srv.workdir / "blocks").iterdir()) == ["team-z"]
    assert srv.request("GET", "/ready", b"", {})[0] == 200
