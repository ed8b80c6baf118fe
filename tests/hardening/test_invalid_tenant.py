"""A malformed X-Scope-OrgID is the client's mistake on every receiver: 400 / INVALID_ARGUMENT.

Before, Jaeger HTTP and Zipkin answered 500 and Jaeger gRPC UNKNOWN: their tenant lookup caught only
the missing-tenant error.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable

import grpc
import pytest

from tests.hardening.header_receivers import (
    EMPTY_THRIFT,
    header_receivers,
    post_spans,
    post_spans_request,
    zipkin_body,
)
from tests.support.server import TempoServer

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
    rx = header_receivers()
    srv = tempo_server_factory({"multitenancy_enabled": True, "distributor": {"receivers": rx.config}})
    body = zipkin_body()
    assert _post(rx.zipkin_url, body, "application/json", BAD) == 400
    assert _post(rx.zipkin_url, body, "application/json", "team-z") == 202
    assert _post(rx.thrift_url, EMPTY_THRIFT, "application/x-thrift", BAD) == 400

    with grpc.insecure_channel(rx.grpc_target) as ch:
        with pytest.raises(grpc.RpcError) as info:
            post_spans(ch)(post_spans_request(), metadata=(("x-scope-orgid", BAD),), timeout=10)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    srv.flush()
    assert sorted(p.name for p in (srv.workdir / "blocks").iterdir()) == ["team-z"]
    assert srv.request("GET", "/ready", b"", {})[0] == 200
