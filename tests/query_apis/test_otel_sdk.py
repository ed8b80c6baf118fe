"""The OpenTelemetry SDK exports a two-service trace over OTLP/HTTP; it comes back through the Jaeger
API, api_v3 and the Zipkin API as it was sent, from live data and again from blocks after a flush,
and the call between the services shows in both dependency APIs."""

from __future__ import annotations

import time
from typing import Any

import pytest

from .servers import ApiServer, wait_for
from .shapes import JAEGER_DEPENDENCY, JAEGER_TRACE, ZIPKIN_SPAN, check, jaeger_envelope

FRONT, BACK = "otel-front", "otel-back"


@pytest.fixture(scope="module")
def sent(api_server: ApiServer) -> dict[str, Any]:
    """Spans as the SDK finished them (ReadableSpan), by name."""
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    providers = []
    for service in (FRONT, BACK):
        p = TracerProvider(
            resource=Resource.create({"service.name": service, "deployment.environment": "e2e"})
        )
        p.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=api_server.srv.otlp_http_url)))
        p.add_span_processor(SimpleSpanProcessor(memory))
        providers.append(p)
    front = providers[0].get_tracer("e2e.front", "1.0")
    back = providers[1].get_tracer("e2e.back", "2.0")
    with front.start_as_current_span("GET /checkout", kind=trace.SpanKind.SERVER) as root:
        root.set_attribute("http.route", "/checkout")
        root.set_attribute("retries", 3)
        root.set_attribute("ratio", 0.5)
        root.set_attribute("cached", False)
        root.add_event("cart.loaded", {"items": 2})
        with front.start_as_current_span("call backend", kind=trace.SpanKind.CLIENT) as call:
            call.set_attribute("peer.service", BACK)
            with back.start_as_current_span(
                "charge",
                kind=trace.SpanKind.SERVER,
                links=[trace.Link(root.get_span_context(), {"why": "audit"})],
            ) as charge:
                charge.set_status(trace.StatusCode.ERROR, "card declined")
    for p in providers:
        p.shutdown()
    spans = {s.name: s for s in memory.get_finished_spans()}
    tid = f"{root.get_span_context().trace_id:032x}"
    wait_for(
        lambda: api_server.get(f"/jaeger/api/traces/{tid}"),
        lambda r: r[0] == 200 and len(r[1]["data"][0]["spans"]) == 3,
    )
    return spans


def _hex(n: int, width: int) -> str:
    return f"{n:0{width}x}"


def _check_jaeger(api_server: ApiServer, sent: dict[str, Any]) -> None:
    root = sent["GET /checkout"]
    tid = _hex(root.context.trace_id, 32)
    body = api_server.ok(f"/jaeger/api/traces/{tid}")
    check(body, jaeger_envelope([JAEGER_TRACE]))
    trace = body["data"][0]
    got = {s["operationName"]: s for s in trace["spans"]}
    assert set(got) == set(sent)
    for name, sp in sent.items():
        j = got[name]
        assert j["spanID"] == _hex(sp.context.span_id, 16)
        assert (
            j["startTime"] == sp.start_time // 1000 and j["duration"] == (sp.end_time - sp.start_time) // 1000
        )
        proc = trace["processes"][j["processID"]]
        assert proc["serviceName"] == sp.resource.attributes["service.name"]
        ptags = {t["key"]: t["value"] for t in proc["tags"]}
        assert ptags["deployment.environment"] == "e2e" and ptags["telemetry.sdk.language"] == "python"
        tags = {t["key"]: t["value"] for t in j["tags"]}
        for k, v in sp.attributes.items():
            assert tags[k] == v, (name, k)
        assert tags["otel.scope.name"] == sp.instrumentation_scope.name
        assert tags["span.kind"] == sp.kind.name.lower()
        if sp.parent is not None:
            assert {"refType": "CHILD_OF", "traceID": tid, "spanID": _hex(sp.parent.span_id, 16)} in j[
                "references"
            ]
    root_j = got["GET /checkout"]
    assert root_j["logs"] == [
        {
            "timestamp": root.events[0].timestamp // 1000,
            "fields": [
                {"key": "event", "type": "string", "value": "cart.loaded"},
                {"key": "items", "type": "int64", "value": 2},
            ],
        }
    ]
    charge = {t["key"]: t for t in got["charge"]["tags"]}
    assert charge["error"] == {"key": "error", "type": "bool", "value": True}
    assert charge["otel.status_description"]["value"] == "card declined"
    assert {"refType": "FOLLOWS_FROM", "traceID": tid, "spanID": root_j["spanID"]} in got["charge"][
        "references"
    ]


def _check_v3(api_server: ApiServer, sent: dict[str, Any]) -> None:
    root = sent["GET /checkout"]
    body = api_server.ok(f"/jaeger/api/v3/traces/{_hex(root.context.trace_id, 32)}")
    spans = {
        s["name"]: (rs, ss, s)
        for rs in body["result"]["resourceSpans"]
        for ss in rs["scopeSpans"]
        for s in ss["spans"]
    }
    for name, sp in sent.items():
        rs, ss, s = spans[name]
        assert s["spanId"] == _hex(sp.context.span_id, 16)
        assert s["startTimeUnixNano"] == str(sp.start_time) and s["endTimeUnixNano"] == str(sp.end_time)
        assert ss["scope"]["name"] == sp.instrumentation_scope.name
        assert {a["key"] for a in rs["resource"]["attributes"]} == set(sp.resource.attributes)
    link = spans["charge"][2]["links"][0]
    assert link["spanId"] == _hex(root.context.span_id, 16)
    assert link["attributes"] == [{"key": "why", "value": {"stringValue": "audit"}}]
    assert spans["charge"][2]["status"] == {"code": 2, "message": "card declined"}


def _check_zipkin(api_server: ApiServer, sent: dict[str, Any]) -> None:
    root = sent["GET /checkout"]
    body = api_server.ok(f"/zipkin/api/v2/trace/{_hex(root.context.trace_id, 32)}")
    check(body, [ZIPKIN_SPAN])
    got = {s["name"]: s for s in body}
    for name, sp in sent.items():
        z = got[name]
        assert z["id"] == _hex(sp.context.span_id, 16) and z["kind"] == sp.kind.name
        assert z["timestamp"] == sp.start_time // 1000
        assert z["localEndpoint"] == {"serviceName": sp.resource.attributes["service.name"]}
        for k, v in sp.attributes.items():
            if k != "peer.service":
                assert z["tags"][k] == (str(v).lower() if isinstance(v, bool) else str(v)), (name, k)
    assert got["call backend"]["remoteEndpoint"] == {"serviceName": BACK}
    assert got["charge"]["tags"]["error"] == "card declined"
    assert got["GET /checkout"]["annotations"] == [
        {"timestamp": root.events[0].timestamp // 1000, "value": 'cart.loaded|{"items":2}|0'}
    ]


def _check_dependencies(api_server: ApiServer) -> None:
    now_ms = time.time_ns() // 10**6
    jaeger = api_server.ok("/jaeger/api/dependencies", {"endTs": now_ms + 60_000, "lookback": 3_600_000})
    check(jaeger, jaeger_envelope([JAEGER_DEPENDENCY]))
    assert {"parent": FRONT, "child": BACK, "callCount": 1} in jaeger["data"]
    only = api_server.ok("/jaeger/api/dependencies", {"endTs": now_ms + 60_000, "service": BACK})
    assert all(BACK in (d["parent"], d["child"]) for d in only["data"]) and only["data"]
    zipkin = api_server.ok("/zipkin/api/v2/dependencies", {"endTs": now_ms + 60_000, "lookback": 3_600_000})
    assert {"parent": FRONT, "child": BACK, "callCount": 1, "errorCount": 1} in zipkin
    old = api_server.ok("/zipkin/api/v2/dependencies", {"endTs": now_ms - 7_200_000, "lookback": 3_600_000})
    assert not any(d["parent"] == FRONT and d["child"] == BACK for d in old)


def test_live_data(api_server: ApiServer, sent: dict[str, Any]) -> None:
    _check_jaeger(api_server, sent)
    _check_v3(api_server, sent)
    _check_zipkin(api_server, sent)
    _check_dependencies(api_server)
    assert {FRONT, BACK} <= set(api_server.ok("/jaeger/api/services")["data"])


def test_from_blocks_after_flush(api_server: ApiServer, sent: dict[str, Any]) -> None:
    api_server.srv.flush()
    _check_jaeger(api_server, sent)
    _check_v3(api_server, sent)
    _check_zipkin(api_server, sent)
    _check_dependencies(api_server)
    assert {FRONT, BACK} <= set(api_server.ok("/jaeger/api/services")["data"])
    ops = api_server.ok("/jaeger/api/operations", {"service": FRONT})["data"]
    assert {"name": "call backend", "spanKind": "client"} in ops
