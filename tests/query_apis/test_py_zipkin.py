"""py_zipkin sends a trace (v2 JSON) to the Zipkin receiver; it comes back through Zipkin's v2 query
API as it was sent, and the Zipkin UI's and Grafana's Zipkin datasource's requests get Zipkin's shapes."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest

from .servers import ApiServer, wait_for
from .shapes import ZIPKIN_DEPENDENCY, ZIPKIN_SPAN, check

SERVICE = "pyz-query-svc"


@pytest.fixture(scope="module")
def wire(api_server: ApiServer) -> dict[str, dict[str, Any]]:
    """The spans exactly as py_zipkin POSTed them (v2 JSON), by name, once readable."""
    from py_zipkin.encoding._types import Encoding, Kind
    from py_zipkin.transport import BaseTransportHandler
    from py_zipkin.zipkin import zipkin_span

    payloads: list[bytes] = []

    class Post(BaseTransportHandler):
        def get_max_payload_bytes(self) -> None:
            return None

        def send(self, payload: bytes | str) -> None:
            data = payload.encode() if isinstance(payload, str) else payload
            payloads.append(data)
            req = urllib.request.Request(
                api_server.zipkin_url + "/api/v2/spans",
                data=data,
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(req, timeout=10) as resp:
                assert resp.status == 202

    with zipkin_span(
        service_name=SERVICE,
        span_name="pyz-root",
        transport_handler=Post(),
        sample_rate=100.0,
        encoding=Encoding.V2_JSON,
        use_128bit_trace_id=True,
        kind=Kind.SERVER,
    ) as root:
        root.update_binary_annotations({"http.path": "/x", "region": "eu"})
        root.add_annotation("cache.miss")
        with zipkin_span(service_name=SERVICE, span_name="pyz-child", kind=Kind.CLIENT) as child:
            child.add_sa_binary_annotation(port=5432, service_name="postgres", host="10.1.2.3")
            child.update_binary_annotations({"error": "connection reset"})
    spans = {s["name"]: s for p in payloads for s in json.loads(p)}
    trace_id = spans["pyz-root"]["traceId"]
    wait_for(
        lambda: api_server.get(f"/zipkin/api/v2/trace/{trace_id}"), lambda r: r[0] == 200 and len(r[1]) == 2
    )
    return spans


def test_trace_equals_what_was_sent(api_server: ApiServer, wire: dict[str, dict[str, Any]]) -> None:
    trace_id = wire["pyz-root"]["traceId"]
    body = api_server.ok(f"/zipkin/api/v2/trace/{trace_id}")
    check(body, [ZIPKIN_SPAN])
    got = {s["name"]: s for s in body}
    for name, sent in wire.items():
        back = got[name]
        for key in ("traceId", "id", "parentId", "kind", "name", "timestamp", "duration", "localEndpoint"):
            assert back.get(key) == sent.get(key), (name, key)
        assert back.get("tags", {}) == sent.get("tags", {}), name
        assert back.get("annotations", []) == sent.get("annotations", []), name
    assert got["pyz-child"]["remoteEndpoint"] == wire["pyz-child"]["remoteEndpoint"]
    assert "remoteEndpoint" not in got["pyz-root"]
    # traceMany: the same trace, and nothing for an unknown ID
    many = api_server.ok("/zipkin/api/v2/traceMany", {"traceIds": f"{trace_id},{'ab' * 16}"})
    check(many, [[ZIPKIN_SPAN]])
    assert [sorted(s["id"] for s in t) for t in many] == [sorted(s["id"] for s in body)]


def test_names(api_server: ApiServer, wire: dict[str, dict[str, Any]]) -> None:
    assert SERVICE in api_server.ok("/zipkin/api/v2/services")
    assert api_server.ok("/zipkin/api/v2/spans", {"serviceName": SERVICE}) == ["pyz-child", "pyz-root"]
    assert api_server.ok("/zipkin/api/v2/remoteServices", {"serviceName": SERVICE}) == ["postgres"]
    keys = api_server.ok("/zipkin/api/v2/autocompleteKeys")
    assert {"http.path", "region"} <= set(keys) and all(isinstance(k, str) for k in keys)
    assert api_server.ok("/zipkin/api/v2/autocompleteValues", {"key": "region"}) == ["eu"]


def test_search(api_server: ApiServer, wire: dict[str, dict[str, Any]]) -> None:
    trace_id = wire["pyz-root"]["traceId"]
    now_ms = time.time_ns() // 10**6

    def found(params: dict[str, Any]) -> list[str]:
        body = api_server.ok(
            "/zipkin/api/v2/traces", {"endTs": now_ms + 60_000, "lookback": 3_600_000, **params}
        )
        check(body, [[ZIPKIN_SPAN]])
        return [t[0]["traceId"] for t in body]

    assert trace_id in found({"serviceName": SERVICE})
    assert trace_id in found({"serviceName": SERVICE, "spanName": "pyz-child", "annotationQuery": "error"})
    assert trace_id in found({"annotationQuery": "http.path=/x and cache.miss"})
    assert trace_id in found({"serviceName": SERVICE, "remoteServiceName": "postgres"})
    assert trace_id in found({"serviceName": SERVICE, "minDuration": 0, "limit": 5})
    assert trace_id not in found({"annotationQuery": "region=us"})
    assert trace_id not in found({"serviceName": SERVICE, "minDuration": 3_600_000_000})
    assert trace_id not in found({"serviceName": SERVICE, "endTs": now_ms - 7_200_000})


def test_errors(api_server: ApiServer) -> None:
    assert api_server.get("/zipkin/api/v2/trace/" + "cd" * 16)[0] == 404
    assert api_server.get("/zipkin/api/v2/trace/xyz")[0] == 400
    assert api_server.get("/zipkin/api/v2/spans")[0] == 400
    assert api_server.get("/zipkin/api/v2/dependencies")[0] == 400
    body = api_server.ok("/zipkin/api/v2/dependencies", {"endTs": time.time_ns() // 10**6})
    check(body, [ZIPKIN_DEPENDENCY])


def test_through_the_jaeger_api(api_server: ApiServer, wire: dict[str, dict[str, Any]]) -> None:
    trace_id = wire["pyz-root"]["traceId"]
    trace = api_server.ok(f"/jaeger/api/traces/{trace_id}")["data"][0]
    spans = {s["operationName"]: s for s in trace["spans"]}
    for name, sent in wire.items():
        j = spans[name]
        assert (j["traceID"], j["spanID"]) == (trace_id, sent["id"])
        assert (j["startTime"], j["duration"]) == (sent["timestamp"], sent["duration"])
        assert trace["processes"][j["processID"]]["serviceName"] == SERVICE
    root, child = spans["pyz-root"], spans["pyz-child"]
    rtags = {t["key"]: (t["type"], t["value"]) for t in root["tags"]}
    assert rtags["http.path"] == ("string", "/x") and rtags["span.kind"] == ("string", "server")
    assert root["logs"] == [
        {
            "timestamp": wire["pyz-root"]["annotations"][0]["timestamp"],
            "fields": [{"key": "event", "type": "string", "value": "cache.miss"}],
        }
    ]
    ctags = {t["key"]: (t["type"], t["value"]) for t in child["tags"]}
    assert ctags["error"] == ("bool", True) and ctags["otel.status_description"] == (
        "string",
        "connection reset",
    )
    assert ctags["peer.service"] == ("string", "postgres") and ctags["net.peer.port"] == ("int64", 5432)
    assert child["references"] == [{"refType": "CHILD_OF", "traceID": trace_id, "spanID": root["spanID"]}]
