"""Defect 3 of issue 17 through a real server: a catastrophic TraceQL regex gets a prompt answer
while /ready keeps answering, and patterns RE2 cannot run are a 400 on /api/search and on the
tag-values ``q`` filter. Before the fix the 34-character query below took minutes (Python's re,
exponential), and the process answered nothing meanwhile."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tempo_py.model.anyvalue import kv
from tempo_py.testing.otlp_factory import rich_request
from tests.support.server import TempoServer

ServerFactory = Callable[..., TempoServer]
EVIL = "a" * 34
PB = {"Content-Type": "application/x-protobuf"}
# generous for a loaded 2-core machine; RE2 answers in milliseconds, the old engine in minutes
PROMPT_S = 20.0


def _request_with(value: str, seed: int) -> ExportTraceServiceRequest:
    req = rich_request(n_traces=1, spans_per_trace=2, seed=seed)
    for rs in req.resource_spans:
        for ss in rs.scope_spans:
            for sp in ss.spans:
                sp.attributes.append(kv("evil", value))
    return req


def _push(srv: TempoServer, req: ExportTraceServiceRequest) -> None:
    status, _, body = srv.request("POST", "", req.SerializeToString(), PB, url=srv.otlp_http_url)
    assert status == 200, body


def _get(srv: TempoServer, path: str, **params: Any) -> tuple[int, bytes]:
    status, _, body = srv.request("GET", path + "?" + urllib.parse.urlencode(params))
    return status, body


def _search_while_polling_ready(srv: TempoServer, query: str) -> tuple[int, bytes, float, list[int]]:
    """Run one search in a thread and poll /ready until it returns: (status, body, seconds, ready codes)."""
    result: dict[str, Any] = {}

    def run() -> None:
        t0 = time.monotonic()
        result["answer"] = _get(
            srv, "/api/search", q=query, start=int(time.time()) - 3600, end=int(time.time())
        )
        result["seconds"] = time.monotonic() - t0

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    ready: list[int] = []
    while worker.is_alive() or not ready:
        ready.append(srv.request("GET", "/ready")[0])
        worker.join(0.05)
    worker.join(PROMPT_S)
    assert "answer" in result, "search did not answer"
    status, body = result["answer"]
    return status, body, result["seconds"], ready


def test_catastrophic_regex_is_prompt_and_server_stays_ready(tempo_server_factory: ServerFactory) -> None:
    srv = tempo_server_factory()
    block, live = _request_with(EVIL, seed=1), _request_with(EVIL, seed=2)
    _push(srv, block)
    srv.flush()  # one request's traces in a block
    _push(srv, live)  # and one's live
    traces = {
        sp.trace_id.hex()
        for req in (block, live)
        for rs in req.resource_spans
        for ss in rs.scope_spans
        for sp in ss.spans
    }

    for query in (
        f'{{ "{EVIL}" =~ "(a+)+b" }}',  # the reproduction: a literal on the left
        '{ span.evil =~ "(a+)+b" }',  # the same over stored data (blocks and live)
        '{ span.evil !~ "(a+)+" }',
    ):
        status, body, seconds, ready = _search_while_polling_ready(srv, query)
        assert status == 200, body
        assert json.loads(body)["traces"] == [], query
        assert seconds < PROMPT_S, (query, seconds)
        assert set(ready) == {200}, ready

    status, body, _, _ = _search_while_polling_ready(srv, '{ span.evil =~ "(a+)+" }')
    assert status == 200, body
    assert {t["traceID"] for t in json.loads(body)["traces"]} == traces  # matching still works


def test_patterns_re2_cannot_run_are_400(tempo_server_factory: ServerFactory) -> None:
    srv = tempo_server_factory()
    _push(srv, _request_with("abc", seed=3))
    for pattern in ("(?=a)abc", "(a)\\\\1", "(?<!x)abc"):
        status, body = _get(srv, "/api/search", q=f'{{ span.evil =~ "{pattern}" }}')
        text = body.decode()
        assert status == 400, (pattern, status, text)
        assert "invalid regex" in text and "RE2" in text, text
    # the tag-values filter parses without full validation; it must refuse the pattern, too
    status, body = _get(srv, "/api/v2/search/tag/span.evil/values", q='{ span.evil =~ "(?=a)abc" }')
    assert status == 400 and "invalid regex" in body.decode(), (status, body)
    status, body = _get(srv, "/api/v2/search/tag/span.evil/values", q='{ span.evil =~ "(a+)+b" }')
    assert status == 200 and json.loads(body)["tagValues"] == [], body
    status, body = _get(srv, "/api/v2/search/tag/span.evil/values", q='{ span.evil =~ "a.c" }')
    assert status == 200 and json.loads(body)["tagValues"] == [{"type": "string", "value": "abc"}], body
    assert srv.request("GET", "/ready")[0] == 200
