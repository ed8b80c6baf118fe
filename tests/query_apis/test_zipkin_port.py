"""Zipkin's query API on the Zipkin receiver's port (as a Zipkin server serves POST /api/v2/spans and
the GET API on 9411), and Zipkin's ``debug`` flag sent and read back as it was."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from typing import Any

from .servers import ApiServer, wait_for


def _get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def _post(url: str, spans: list[dict[str, Any]]) -> int:
    req = urllib.request.Request(
        url + "/api/v2/spans", data=json.dumps(spans).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return int(resp.status)


def test_debug_round_trips_and_the_get_api_answers_on_the_receiver_port(api_server: ApiServer) -> None:
    trace_id = os.urandom(16).hex()
    now_us = time.time_ns() // 1000
    sent = [
        {
            "traceId": trace_id,
            "id": os.urandom(8).hex(),
            "name": "debugged",
            "kind": "SERVER",
            "timestamp": now_us,
            "duration": 1500,
            "debug": True,
            "localEndpoint": {"serviceName": "zipkin-port-svc"},
            "tags": {"http.path": "/d"},
        },
        {
            "traceId": trace_id,
            "id": os.urandom(8).hex(),
            "name": "plain",
            "timestamp": now_us + 10,
            "duration": 100,
            "localEndpoint": {"serviceName": "zipkin-port-svc"},
        },
    ]
    sent[1]["parentId"] = sent[0]["id"]
    assert _post(api_server.zipkin_url, sent) == 202
    status, body = wait_for(
        lambda: _get(f"{api_server.zipkin_url}/api/v2/trace/{trace_id}"),
        lambda r: r[0] == 200 and len(r[1]) == 2,
    )
    assert status == 200, body
    by_name = {s["name"]: s for s in body}
    assert by_name["debugged"]["debug"] is True
    assert "debug" not in by_name["plain"]  # absent, as Zipkin writes a span without the flag
    assert "zipkin.debug" not in by_name["debugged"].get("tags", {})
    assert by_name["debugged"]["tags"] == {"http.path": "/d"}
    # the same answer on the query port's /zipkin prefix
    assert api_server.ok(f"/zipkin/api/v2/trace/{trace_id}") == body
    # the rest of the GET API on the receiver's port
    status, services = _get(api_server.zipkin_url + "/api/v2/services")
    assert status == 200 and "zipkin-port-svc" in services
    status, names = _get(api_server.zipkin_url + "/api/v2/spans?serviceName=zipkin-port-svc")
    assert status == 200 and names == ["debugged", "plain"]
    end_ms = time.time_ns() // 10**6 + 60_000
    status, found = _get(
        f"{api_server.zipkin_url}/api/v2/traces?serviceName=zipkin-port-svc&endTs={end_ms}&lookback=3600000"
    )
    assert status == 200 and trace_id in [t[0]["traceId"] for t in found]
    status, deps = _get(f"{api_server.zipkin_url}/api/v2/dependencies?endTs={end_ms}")
    assert status == 200 and isinstance(deps, list)
    assert _get(api_server.zipkin_url + "/api/v2/trace/xyz")[0] == 400
