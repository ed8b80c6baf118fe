"""Search through a real server process: the query table on live data, blocks and a mix (one trace
split between a block and live data), on local disk and S3 (moto); and Grafana's Tempo datasource
requests checked against a strict schema of tempopb's JSON (exact key sets and value types)."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest
from search_dataset import ORDER, QUERIES, TRACES, base_time_ns, request, trace_id

LIVE, BLOCKS, MIXED = "live-t", "blocks-t", "mixed-t"
NAMES = {trace_id(n).hex(): n for n in ORDER}
T5_LIVE = {("T5", 2)}
PB = {"Content-Type": "application/x-protobuf"}


def _pairs(names: list[str]) -> set[tuple[str, int]]:
    return {(n, s.sid) for n in names for s in TRACES[n]}


def _push(srv: Any, tenant: str, body: bytes) -> None:
    status, _, text = srv.request("POST", "", body, {**PB, "X-Scope-OrgID": tenant}, url=srv.otlp_http_url)
    assert status == 200, text


def _load(srv: Any) -> int:
    """BLOCKS: everything flushed; LIVE: nothing flushed; MIXED: T1-T3 and T5's root flushed."""
    base = base_time_ns()
    _push(srv, BLOCKS, request(ORDER, base))
    _push(
        srv, MIXED, request(["T1", "T2", "T3", "T5"], base, only=_pairs(["T1", "T2", "T3", "T5"]) - T5_LIVE)
    )
    srv.flush()
    _push(srv, LIVE, request(ORDER, base))
    _push(srv, MIXED, request(["T4", "T5", "T6"], base, only=_pairs(["T4", "T6"]) | T5_LIVE))
    return base


def _get(srv: Any, path: str, tenant: str = LIVE, **params: Any) -> tuple[int, Any]:
    url = path + ("?" + urllib.parse.urlencode(params) if params else "")
    status, _, body = srv.request("GET", url, headers={"X-Scope-OrgID": tenant})
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body.decode()


def _check_table(srv: Any, base: int) -> None:
    window = {"start": base // 10**9 - 60, "end": base // 10**9 + 120}
    failures = []
    for tenant in (LIVE, BLOCKS, MIXED):
        for query, expected in QUERIES:
            status, body = _get(srv, "/api/search", tenant, q=query, limit=20, spss=3, **window)
            got = [NAMES[t["traceID"]] for t in body["traces"]] if status == 200 else body
            if got != expected:
                failures.append((tenant, query, expected, got))
    assert failures == []


@pytest.fixture
def multitenant() -> dict[str, Any]:
    return {"multitenancy_enabled": True}


def test_query_table_local_disk(tempo_server_factory: Any, multitenant: dict[str, Any]) -> None:
    srv = tempo_server_factory(multitenant)
    base = _load(srv)
    _check_table(srv, base)
    _check_grafana_requests(srv, base)
    _check_errors(srv)


def test_query_table_s3(
    tempo_server_factory: Any, moto_s3: Any, s3_bucket: str, multitenant: dict[str, Any]
) -> None:
    srv = tempo_server_factory({**multitenant, "storage": {"trace": moto_s3.storage_config(s3_bucket)}})
    _check_table(srv, _load(srv))


# ---------------------------------------------------------------- strict schema (tempopb jsonpb)

STR, INT, BOOL, FLOAT = "str", "int", "bool", "float"
U64 = "u64"  # uint64/int64: a string of digits
ANY_VALUE = {"stringValue": STR, "intValue": U64, "doubleValue": FLOAT, "boolValue": BOOL}
KEY_VALUE = {"key": STR, "value": ANY_VALUE}
SPAN = {"spanID": STR, "name": STR, "startTimeUnixNano": U64, "durationNanos": U64, "attributes": [KEY_VALUE]}
SPANSET = {"spans": [SPAN], "matched": INT, "attributes": [KEY_VALUE]}
TRACE = {
    "traceID": STR,
    "rootServiceName": STR,
    "rootTraceName": STR,
    "startTimeUnixNano": U64,
    "durationMs": INT,
    "spanSet": SPANSET,
    "spanSets": [SPANSET],
    "serviceStats": ("map", {"spanCount": INT, "errorCount": INT}),
}
METRICS = {
    "inspectedTraces": INT,
    "inspectedBytes": U64,
    "totalBlocks": INT,
    "completedJobs": INT,
    "totalJobs": INT,
    "totalBlockBytes": U64,
    "inspectedSpans": U64,
}
SEARCH = {"traces": [TRACE], "metrics": METRICS}
TAGS_V1 = {"tagNames": [STR]}
TAGS_V2 = {"scopes": [{"name": STR, "tags": [STR]}]}
VALUES_V1 = {"tagValues": [STR]}
VALUES_V2 = {"tagValues": [{"type": STR, "value": STR}]}


def conforms(value: Any, schema: Any, path: str = "$") -> None:
    """Assert ``value`` fits ``schema``: dicts have no unknown keys, scalars the exact JSON type."""
    if isinstance(schema, dict):
        assert isinstance(value, dict), f"{path}: expected object"
        unknown = set(value) - set(schema)
        assert not unknown, f"{path}: unknown fields {unknown}"
        for key, item in value.items():
            conforms(item, schema[key], f"{path}.{key}")
    elif isinstance(schema, list):
        assert isinstance(value, list), f"{path}: expected array"
        for i, item in enumerate(value):
            conforms(item, schema[0], f"{path}[{i}]")
    elif isinstance(schema, tuple):
        assert isinstance(value, dict), f"{path}: expected map"
        for key, item in value.items():
            assert isinstance(key, str)
            conforms(item, schema[1], f"{path}[{key}]")
    elif schema == STR:
        assert isinstance(value, str), f"{path}: expected string"
    elif schema == U64:
        assert isinstance(value, str) and value.lstrip("-").isdigit(), f"{path}: expected uint64 string"
    elif schema == INT:
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: expected integer"
    elif schema == FLOAT:
        assert isinstance(value, int | float) and not isinstance(value, bool), f"{path}: expected number"
    elif schema == BOOL:
        assert isinstance(value, bool), f"{path}: expected bool"


def _check_grafana_requests(srv: Any, base: int) -> None:
    status, _, body = srv.request("GET", "/api/echo")
    assert (status, body.strip()) == (200, b"echo")
    window = {"start": base // 10**9 - 60, "end": base // 10**9 + 120}
    for tenant in (LIVE, MIXED):
        status, body = _get(
            srv, "/api/search", tenant, q='{ resource.service.name = "frontend" }', limit=20, spss=3, **window
        )
        assert status == 200
        conforms(body, SEARCH)
        first = body["traces"][0]
        assert {
            "traceID",
            "rootServiceName",
            "rootTraceName",
            "startTimeUnixNano",
            "durationMs",
            "spanSet",
            "spanSets",
            "serviceStats",
        } <= set(first)
        assert set(body["metrics"]) >= {"inspectedTraces", "completedJobs", "totalJobs"}
        assert first["rootServiceName"] == "frontend" and first["durationMs"] == 1200
        assert first["serviceStats"] == {
            "frontend": {"spanCount": 1},
            "checkout": {"spanCount": 1},
            "payment": {"spanCount": 1, "errorCount": 1},
        }
        span = first["spanSets"][0]["spans"][0]
        assert span["attributes"] == [{"key": "service.name", "value": {"stringValue": "frontend"}}]
    status, body = _get(
        srv, "/api/search", MIXED, q="{ } | by(resource.service.name) | count() > 3", **window
    )
    conforms(body, SEARCH)
    assert body["traces"][0]["spanSets"][0]["attributes"] == [
        {"key": "by(resource.service.name)", "value": {"stringValue": "worker"}},
        {"key": "count()", "value": {"intValue": "4"}},
    ]
    status, body = _get(srv, "/api/search", LIVE, tags="service.name=payment http.status_code=500", **window)
    conforms(body, SEARCH)
    assert [NAMES[t["traceID"]] for t in body["traces"]] == ["T1"]
    status, body = _get(srv, "/api/search", LIVE, q="{ }", limit=2, spss=1, minDuration="500ms", **window)
    assert [NAMES[t["traceID"]] for t in body["traces"]] == ["T1", "T4"]
    assert (
        len(body["traces"][0]["spanSets"][0]["spans"]) == 1
        and body["traces"][0]["spanSets"][0]["matched"] == 3
    )

    for tenant in (LIVE, BLOCKS, MIXED):
        status, body = _get(srv, "/api/v2/search/tags", tenant, scope="resource", **window)
        conforms(body, TAGS_V2)
        assert body["scopes"] == [{"name": "resource", "tags": ["deployment.environment", "service.name"]}]
        status, body = _get(srv, "/api/v2/search/tags", tenant, **window)
        conforms(body, TAGS_V2)
        scopes = {s["name"]: s["tags"] for s in body["scopes"]}
        assert {"amount", "db.system", "http.route", "http.status_code", "step", "user.id"} <= set(
            scopes["span"]
        )
        assert scopes["event"] == ["exception.type"] and "span:name" in scopes["intrinsic"]
        status, body = _get(srv, "/api/v2/search/tag/resource.service.name/values", tenant, **window)
        conforms(body, VALUES_V2)
        assert [v["value"] for v in body["tagValues"]] == [
            "api",
            "auth",
            "catalog",
            "checkout",
            "frontend",
            "payment",
            "worker",
        ]
        status, body = _get(
            srv,
            "/api/v2/search/tag/resource.service.name/values",
            tenant,
            q='{ name = "GET /browse" || span.db.system = "postgresql" }',
            **window,
        )
        assert body["tagValues"] == [
            {"type": "string", "value": "catalog"},
            {"type": "string", "value": "frontend"},
        ]
    status, body = _get(srv, "/api/v2/search/tag/span.step/values", MIXED, limit=2)
    assert body["tagValues"] == [{"type": "int", "value": "1"}, {"type": "int", "value": "2"}]
    status, body = _get(srv, "/api/v2/search/tag/status/values", MIXED)
    assert {"type": "keyword", "value": "error"} in body["tagValues"]
    status, body = _get(srv, "/api/search/tags", BLOCKS)
    conforms(body, TAGS_V1)
    assert "service.name" in body["tagNames"] and "http.route" in body["tagNames"]
    status, body = _get(srv, "/api/search/tag/service.name/values", BLOCKS)
    conforms(body, VALUES_V1)
    assert "worker" in body["tagValues"]
    # trace by ID v2 in protobuf, as the datasource asks for it
    status, _, raw = srv.request(
        "GET",
        f"/api/v2/traces/{trace_id('T5').hex()}",
        headers={"Accept": "application/protobuf", "X-Scope-OrgID": MIXED},
    )
    assert status == 200 and raw[:1] == b"\x0a"


def _check_errors(srv: Any) -> None:
    status, body = _get(srv, "/api/search", LIVE, q="{ .a = }")
    assert status == 400 and "parse error at line 1" in body
    status, body = _get(srv, "/api/search", LIVE, q="{ } | rate()")
    assert status == 400 and "not supported" in body
    status, body = _get(srv, "/api/search", LIVE, q="{ }", limit="x")
    assert status == 400 and "limit" in body
    status, _ = _get(srv, "/api/v2/search/tags", LIVE, scope="nope")
    assert status == 400
    status, _, _ = srv.request("GET", "/api/search?q=%7B%7D")
    assert status == 401  # multitenancy: X-Scope-OrgID required
