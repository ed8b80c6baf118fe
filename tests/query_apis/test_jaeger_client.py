"""jaeger-client sends a trace over UDP; it comes back through the Jaeger HTTP JSON API and api_v3
as it was sent, and every answer has the shape of jaeger-query's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from .servers import ApiServer, wait_for
from .shapes import JAEGER_DEPENDENCY, JAEGER_ERROR, JAEGER_OPERATION, JAEGER_TRACE, check, jaeger_envelope

CLIENT = Path(__file__).parents[1] / "receivers" / "clients" / "jaeger_client_emit.py"
SERVICE = "jaeger-py-svc"


@pytest.fixture(scope="module")
def sent(api_server: ApiServer) -> dict[str, dict[str, Any]]:
    """What the client reports having sent, by operation name, once the trace is readable."""
    out = subprocess.run(
        [sys.executable, str(CLIENT), str(api_server.jaeger_compact)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    emitted: dict[str, dict[str, Any]] = json.loads(out.stdout)
    trace_id = emitted["root-op"]["trace_id"]
    wait_for(
        lambda: api_server.get(f"/jaeger/api/traces/{trace_id}"),
        lambda r: r[0] == 200 and len(r[1]["data"][0]["spans"]) == 3,
    )
    return emitted


def _tags(items: list[dict[str, Any]]) -> dict[str, tuple[str, Any]]:
    return {t["key"]: (t["type"], t["value"]) for t in items}


def _trace(api_server: ApiServer, trace_id: str) -> dict[str, Any]:
    body = api_server.ok(f"/jaeger/api/traces/{trace_id}")
    check(body, jaeger_envelope([JAEGER_TRACE]))
    assert (body["total"], body["limit"], body["offset"], body["errors"]) == (0, 0, 0, None)
    trace: dict[str, Any] = body["data"][0]
    return trace


def test_trace_by_id_equals_what_was_sent(api_server: ApiServer, sent: dict[str, dict[str, Any]]) -> None:
    trace_id = sent["root-op"]["trace_id"]
    trace = _trace(api_server, trace_id)
    assert trace["traceID"] == trace_id
    spans = {s["operationName"]: s for s in trace["spans"]}
    assert set(spans) == {"root-op", "child-op", "follower-op"}
    for name, exp in sent.items():
        got = spans[name]
        assert got["traceID"] == trace_id and got["spanID"] == exp["span_id"]
        assert got["startTime"] == exp["start_us"]
        assert got["duration"] == exp["end_us"] - exp["start_us"]
        assert [log["timestamp"] for log in got["logs"]] == exp["log_us"]
        assert got["flags"] == 1  # sampled
        process = trace["processes"][got["processID"]]
        assert process["serviceName"] == SERVICE
        assert _tags(process["tags"])["deployment"] == ("string", "test")
    root, child, follower = spans["root-op"], spans["child-op"], spans["follower-op"]
    root_tags = _tags(root["tags"])
    assert root_tags["str.tag"] == ("string", "v")
    assert root_tags["bool.tag"] == ("bool", True)
    assert root_tags["int.tag"] == ("int64", 42)
    assert root_tags["float.tag"] == ("float64", 2.5)
    assert root_tags["http.status_code"] == ("int64", 200)
    assert root_tags["span.kind"] == ("string", "server")
    assert "error" not in root_tags
    assert root["references"] == []
    assert root["logs"][0]["fields"] == [
        {"key": "event", "type": "string", "value": "cache-miss"},
        {"key": "key", "type": "string", "value": "user:1"},
    ]
    child_tags = _tags(child["tags"])
    assert child_tags["error"] == ("bool", True) and child_tags["span.kind"] == ("string", "client")
    assert child["references"] == [{"refType": "CHILD_OF", "traceID": trace_id, "spanID": root["spanID"]}]
    assert child["logs"][0]["fields"] == [{"key": "message", "type": "string", "value": "no event field"}]
    # jaeger-client sent one FOLLOWS_FROM reference and no parent: one reference comes back.
    assert follower["references"] == [
        {"refType": "FOLLOWS_FROM", "traceID": trace_id, "spanID": root["spanID"]}
    ]


def test_services_and_operations(api_server: ApiServer, sent: dict[str, dict[str, Any]]) -> None:
    services = api_server.ok("/jaeger/api/services")
    check(services, jaeger_envelope([str]))
    assert SERVICE in services["data"] and services["total"] == len(services["data"])
    legacy = api_server.ok(f"/jaeger/api/services/{SERVICE}/operations")
    check(legacy, jaeger_envelope([str]))
    assert legacy["data"] == ["child-op", "follower-op", "root-op"] and legacy["total"] == 3
    ops = api_server.ok("/jaeger/api/operations", {"service": SERVICE})
    check(ops, jaeger_envelope([JAEGER_OPERATION]))
    assert {(o["name"], o["spanKind"]) for o in ops["data"]} == {
        ("root-op", "server"),
        ("child-op", "client"),
        ("follower-op", ""),
    }
    servers = api_server.ok("/jaeger/api/operations", {"service": SERVICE, "spanKind": "server"})
    assert servers["data"] == [{"name": "root-op", "spanKind": "server"}]


def test_search(api_server: ApiServer, sent: dict[str, dict[str, Any]]) -> None:
    trace_id = sent["root-op"]["trace_id"]
    now_us = time.time_ns() // 1000
    base = {"service": SERVICE, "start": now_us - 3_600_000_000, "end": now_us + 60_000_000, "limit": 20}

    def found(extra: dict[str, Any]) -> list[str]:
        body = api_server.ok("/jaeger/api/traces", {**base, **extra})
        check(body, jaeger_envelope([JAEGER_TRACE]))
        return [t["traceID"] for t in body["data"]]

    assert trace_id in found({})
    assert trace_id in found({"operation": "child-op", "tags": json.dumps({"error": "true"})})
    assert trace_id in found({"tag": "int.tag:42", "minDuration": "0s"})
    assert trace_id in found({"tags": json.dumps({"http.status_code": "200", "str.tag": "v"})})
    assert trace_id not in found({"tags": json.dumps({"str.tag": "nope"})})
    assert trace_id not in found({"operation": "root-op", "minDuration": "1h"})
    # by ID list, with a miss reported in errors
    body = api_server.ok("/jaeger/api/traces", [("traceID", trace_id), ("traceID", "ab" * 16)])
    check(body, jaeger_envelope([JAEGER_TRACE]))
    assert [t["traceID"] for t in body["data"]] == [trace_id]
    assert body["errors"] == [{"msg": "trace not found", "traceID": "ab" * 16}]


def test_errors_in_the_envelope(api_server: ApiServer) -> None:
    status, body = api_server.get("/jaeger/api/traces/" + "cd" * 16)
    assert status == 404
    check(body, jaeger_envelope(NULL_DATA))
    assert body["errors"] == [{"code": 404, "msg": "trace not found"}]
    status, body = api_server.get("/jaeger/api/traces", {"limit": 5})
    assert status == 400 and body["errors"] == [{"code": 400, "msg": "parameter 'service' is required"}]
    status, body = api_server.get("/jaeger/api/traces", {"service": SERVICE, "minDuration": "soon"})
    assert status == 400 and body["errors"][0]["msg"].startswith("unable to parse param 'minDuration'")
    status, body = api_server.get("/jaeger/api/traces/not-an-id")
    assert status == 400
    check(body["errors"], [JAEGER_ERROR])


NULL_DATA = type(None)


def test_dependencies_shape(api_server: ApiServer, sent: dict[str, dict[str, Any]]) -> None:
    body = api_server.ok(
        "/jaeger/api/dependencies", {"endTs": time.time_ns() // 10**6, "lookback": 3_600_000}
    )
    check(body, jaeger_envelope([JAEGER_DEPENDENCY]))


def test_api_v3(api_server: ApiServer, sent: dict[str, dict[str, Any]]) -> None:
    trace_id = sent["root-op"]["trace_id"]
    services = api_server.ok("/jaeger/api/v3/services")
    assert set(services) == {"services"} and SERVICE in services["services"]
    ops = api_server.ok("/jaeger/api/v3/operations", {"service": SERVICE})
    assert {(o["name"], o["spanKind"]) for o in ops["operations"]} == {
        ("root-op", "server"),
        ("child-op", "client"),
        ("follower-op", "internal"),
    }
    body = api_server.ok(f"/jaeger/api/v3/traces/{trace_id}")
    assert set(body) == {"result"}
    (rs,) = body["result"]["resourceSpans"]
    attrs = {a["key"]: a["value"] for a in rs["resource"]["attributes"]}
    assert attrs["service.name"] == {"stringValue": SERVICE}
    spans = {s["name"]: s for ss in rs["scopeSpans"] for s in ss["spans"]}
    for name, exp in sent.items():
        span = spans[name]
        assert span["traceId"] == trace_id and span["spanId"] == exp["span_id"]  # hex, as OTLP/JSON
        assert span["startTimeUnixNano"] == str(exp["start_us"] * 1000)
    assert spans["root-op"]["kind"] == 2 and spans["child-op"]["status"]["code"] == 2  # enums as numbers
    assert spans["child-op"]["parentSpanId"] == sent["root-op"]["span_id"]
    now = time.time()
    window = {
        "query.service_name": SERVICE,
        "query.operation_name": "child-op",
        "query.start_time_min": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 3600)),
        "query.start_time_max": time.strftime("%Y-%m-%dT%H:%M:%S.123456789Z", time.gmtime(now + 60)),
    }
    found = api_server.ok("/jaeger/api/v3/traces", window)
    ids = {
        s["traceId"]
        for rs in found["result"]["resourceSpans"]
        for ss in rs["scopeSpans"]
        for s in ss["spans"]
    }
    assert trace_id in ids
    status, err = api_server.get("/jaeger/api/v3/traces", {"query.service_name": SERVICE})
    assert status == 400 and set(err) == {"error"} and err["error"]["httpCode"] == 400
    status, err = api_server.get("/jaeger/api/v3/traces/" + "ef" * 16)
    assert (status, err) == (404, {"error": {"httpCode": 404, "message": "No traces found"}})


def test_through_the_zipkin_api(api_server: ApiServer, sent: dict[str, dict[str, Any]]) -> None:
    trace_id = sent["root-op"]["trace_id"]
    spans = {s["name"]: s for s in api_server.ok(f"/zipkin/api/v2/trace/{trace_id}")}
    for name, exp in sent.items():
        z = spans[name]
        assert (z["traceId"], z["id"]) == (trace_id, exp["span_id"])
        assert z["timestamp"] == exp["start_us"] and z["duration"] == exp["end_us"] - exp["start_us"]
        assert z["localEndpoint"] == {"serviceName": SERVICE}
    root, child = spans["root-op"], spans["child-op"]
    assert (root["kind"], child["kind"], child["parentId"]) == ("SERVER", "CLIENT", root["id"])
    tags = root["tags"]
    assert (tags["str.tag"], tags["bool.tag"], tags["int.tag"], tags["float.tag"]) == (
        "v",
        "true",
        "42",
        "2.5",
    )
    assert root["annotations"] == [
        {"timestamp": sent["root-op"]["log_us"][0], "value": 'cache-miss|{"key":"user:1"}|0'}
    ]
    assert child["tags"]["error"] == "true"


def test_pretty_print(api_server: ApiServer, sent: dict[str, dict[str, Any]]) -> None:
    status, _, body = api_server.srv.request("GET", "/jaeger/api/services?prettyPrint=true")
    assert status == 200 and body.startswith(b'{\n    "data"')
    status, _, body = api_server.srv.request("GET", "/jaeger/api/services?prettyPrint=false")
    assert status == 200 and b"\n" not in body


def test_operations_of_an_unknown_kind(api_server: ApiServer, sent: dict[str, dict[str, Any]]) -> None:
    for kind in ("consumer", "unspecified", "no-such-kind"):
        body = api_server.ok("/jaeger/api/operations", {"service": SERVICE, "spanKind": kind})
        assert (body["data"], body["total"]) == ([], 0), kind


def test_service_names_with_a_slash(api_server: ApiServer) -> None:
    body = api_server.ok("/jaeger/api/services/no%2Fsuch/operations")
    assert (body["data"], body["total"]) == ([], 0)
