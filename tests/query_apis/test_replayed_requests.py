"""Requests exactly as the Jaeger UI and Grafana's Jaeger and Zipkin datasources send them (paths
and parameters as their sources build them), replayed against a real server: every answer's keys
and types match jaeger-query's and Zipkin's, field by field."""

from __future__ import annotations

import json
import time
import urllib.parse
from typing import Any

import pytest

from tempo_py.testing.otlp_factory import rich_request

from .servers import ApiServer, wait_for
from .shapes import (
    JAEGER_DEPENDENCY,
    JAEGER_OPERATION,
    JAEGER_TRACE,
    ZIPKIN_DEPENDENCY,
    ZIPKIN_SPAN,
    check,
    jaeger_envelope,
)

SERVICE = "replay-0"


@pytest.fixture(scope="module")
def trace_id(api_server: ApiServer) -> str:
    """A rich trace (every OTLP field set) pushed over OTLP/HTTP; its ID."""
    request = rich_request(n_traces=2, seed=int(time.time()), service="replay")
    status, _, body = api_server.srv.request(
        "POST",
        "",
        request.SerializeToString(),
        {"Content-Type": "application/x-protobuf"},
        url=api_server.srv.otlp_http_url,
    )
    assert status == 200, body
    tid = request.resource_spans[0].scope_spans[0].spans[0].trace_id.hex()
    wait_for(lambda: api_server.get(f"/jaeger/api/traces/{tid}"), lambda r: r[0] == 200)
    return tid


def _window_us() -> tuple[int, int]:
    now = time.time_ns() // 1000
    return now - 3_600_000_000, now + 60_000_000


def _replay(api_server: ApiServer, url: str) -> Any:
    path, _, query = url.partition("?")
    status, _, body = api_server.srv.request("GET", path + ("?" + query if query else ""))
    assert status == 200, (url, status, body[:300])
    return json.loads(body)


def test_jaeger_ui(api_server: ApiServer, trace_id: str) -> None:
    start, end = _window_us()
    # the Jaeger UI's search page: services, operations of the chosen service, then the search
    check(_replay(api_server, "/jaeger/api/services"), jaeger_envelope([str]))
    ops = _replay(api_server, f"/jaeger/api/services/{SERVICE}/operations")
    check(ops, jaeger_envelope([str]))
    ops2 = _replay(api_server, f"/jaeger/api/operations?service={SERVICE}")
    check(ops2, jaeger_envelope([JAEGER_OPERATION]))
    q = urllib.parse.urlencode(
        {
            "end": end,
            "limit": 20,
            "lookback": "1h",
            "maxDuration": "",
            "minDuration": "",
            "service": SERVICE,
            "start": start,
        }
    )
    found = _replay(api_server, f"/jaeger/api/traces?{q}")
    check(found, jaeger_envelope([JAEGER_TRACE]))
    assert trace_id in [t["traceID"] for t in found["data"]]
    check(_replay(api_server, f"/jaeger/api/traces/{trace_id}"), jaeger_envelope([JAEGER_TRACE]))
    # the System Architecture page
    deps = _replay(api_server, f"/jaeger/api/dependencies?endTs={end // 1000}&lookback=604800000")
    check(deps, jaeger_envelope([JAEGER_DEPENDENCY]))


def test_grafana_jaeger_datasource(api_server: ApiServer, trace_id: str) -> None:
    start, end = _window_us()
    check(_replay(api_server, "/jaeger/api/services"), jaeger_envelope([str]))  # test data source
    check(_replay(api_server, f"/jaeger/api/services/{SERVICE}/operations"), jaeger_envelope([str]))
    # search: tags from logfmt converted to JSON, lookback=custom, start/end in µs
    tags = json.dumps({"str": "hello", "http.response.status_code": "200"})
    q = urllib.parse.urlencode(
        {
            "service": SERVICE,
            "tags": tags,
            "minDuration": "1ms",
            "maxDuration": "10s",
            "limit": 20,
            "start": start,
            "end": end,
            "lookback": "custom",
        }
    )
    found = _replay(api_server, f"/jaeger/api/traces?{q}")
    check(found, jaeger_envelope([JAEGER_TRACE]))
    assert trace_id in [t["traceID"] for t in found["data"]]
    body = _replay(api_server, f"/jaeger/api/traces/{urllib.parse.quote(trace_id)}")
    check(body, jaeger_envelope([JAEGER_TRACE]))
    spans = body["data"][0]["spans"]
    # every tag type the model has, as the datasource reads them
    types = {t["type"] for s in spans for t in s["tags"]}
    assert {"string", "int64", "float64", "bool", "binary"} <= types
    big = [t for s in spans for t in s["tags"] if t["key"] == "big"]
    assert big and all(isinstance(t["value"], str) for t in big)  # beyond 2^53: a string, as jaeger-query
    deps = _replay(api_server, f"/jaeger/api/dependencies?endTs={end // 1000}&lookback={3_600_000}")
    check(deps, jaeger_envelope([JAEGER_DEPENDENCY]))


def test_grafana_zipkin_datasource(api_server: ApiServer, trace_id: str) -> None:
    services = _replay(api_server, "/zipkin/api/v2/services")
    check(services, [str])
    assert SERVICE in services
    names = _replay(api_server, f"/zipkin/api/v2/spans?serviceName={SERVICE}")
    check(names, [str])
    traces = _replay(
        api_server, f"/zipkin/api/v2/traces?serviceName={SERVICE}&spanName={urllib.parse.quote(names[0])}"
    )
    check(traces, [[ZIPKIN_SPAN]])
    assert traces
    check(_replay(api_server, f"/zipkin/api/v2/trace/{trace_id}"), [ZIPKIN_SPAN])
    now_ms = time.time_ns() // 10**6
    check(
        _replay(api_server, f"/zipkin/api/v2/dependencies?endTs={now_ms}&lookback=86400000"),
        [ZIPKIN_DEPENDENCY],
    )
