"""The query APIs resolve tenants as Tempo's API does: one tenant never sees another's services or
traces, and with bearer tokens configured every route needs one (the UI's static files do not)."""

from __future__ import annotations

import json
from typing import Any

from tempo_py.testing.otlp_factory import rich_request

from .servers import wait_for


def _push(srv: Any, headers: dict[str, str], service: str) -> str:
    request = rich_request(n_traces=1, spans_per_trace=2, service=service)
    status, _, body = srv.request(
        "POST",
        "",
        request.SerializeToString(),
        {"Content-Type": "application/x-protobuf", **headers},
        url=srv.otlp_http_url,
    )
    assert status == 200, body
    return str(request.resource_spans[0].scope_spans[0].spans[0].trace_id.hex())


def test_tenants_are_separate(tempo_server_factory: Any) -> None:
    srv = tempo_server_factory({"multitenancy_enabled": True})
    tid = _push(srv, {"X-Scope-OrgID": "team-a"}, "only-a")

    def get(path: str, tenant: str) -> tuple[int, Any]:
        status, _, body = srv.request("GET", path, headers={"X-Scope-OrgID": tenant})
        return status, json.loads(body) if body.startswith((b"{", b"[")) else body

    wait_for(lambda: get(f"/jaeger/api/traces/{tid}", "team-a"), lambda r: r[0] == 200)
    assert "only-a-0" in get("/jaeger/api/services", "team-a")[1]["data"]
    assert get("/jaeger/api/services", "team-b")[1]["data"] == []
    assert get(f"/jaeger/api/traces/{tid}", "team-b")[0] == 404
    assert get("/zipkin/api/v2/services", "team-b")[1] == []
    assert get(f"/zipkin/api/v2/trace/{tid}", "team-b")[0] == 404
    assert get(f"/jaeger/api/v3/traces/{tid}", "team-b")[0] == 404
    status, body = get("/jaeger/api/services", "bad tenant!")
    assert status == 400 and body["errors"][0]["code"] == 400


def test_tokens_guard_the_query_apis(tempo_server_factory: Any) -> None:
    srv = tempo_server_factory({"server": {"auth": {"tokens": {"s3cret": "team-a"}}}})
    for path in ("/jaeger/api/services", "/jaeger/api/v3/services", "/zipkin/api/v2/services"):
        assert srv.request("GET", path)[0] == 401, path
        status, _, _ = srv.request("GET", path, headers={"Authorization": "Bearer s3cret"})
        assert status == 200, path
    status, _, body = srv.request("GET", "/jaeger/api/services")
    assert json.loads(body)["errors"][0]["code"] == 401  # in jaeger-query's envelope
    assert srv.request("GET", "/ui/")[0] == 200  # static files: the API calls carry the token
