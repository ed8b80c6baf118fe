"""Issue 17, "decoding runs where it cannot stall the event loop", for the JSON receivers.

OTLP/JSON (``json_format`` is pure Python) and Zipkin JSON (parsing plus span mapping) took seconds
per large body on the event loop: ``/ready`` and every other push waited meanwhile. Bodies from
``http_util.OFF_LOOP_BYTES`` up are now decoded in a worker thread, as Thrift already was. Against a
real server process, each large body below decodes for ~1-2 s, and ``/ready`` must keep answering
within 0.75 s throughout; so must it while a client trickles a body in slowly.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest

from tests.hardening.test_hostile_input_e2e import ReadyPoller, _post
from tests.support.server import TempoServer, free_port

NOW_NS = time.time_ns()
SPANS_PER_TRACE = 20


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TempoServer, int]]:
    zipkin = free_port()
    srv = TempoServer(
        tmp_path_factory.mktemp("off-loop"),
        {"distributor": {"receivers": {"zipkin": {"endpoint": f"127.0.0.1:{zipkin}"}}}},
    )
    srv.start()
    try:
        yield srv, zipkin
    finally:
        srv.stop()


def _otlp_json(n: int, service: str) -> bytes:
    """One OTLP/JSON request of ``n`` spans with a dozen attributes each (~730 bytes a span)."""
    spans = [
        {
            "traceId": f"{i // SPANS_PER_TRACE + 1:032x}",
            "spanId": f"{i + 1:016x}",
            "name": f"op{i % 7}",
            "kind": 2,
            "startTimeUnixNano": str(NOW_NS),
            "endTimeUnixNano": str(NOW_NS + 1000),
            "attributes": [{"key": f"a{j}", "value": {"intValue": str(j)}} for j in range(12)],
        }
        for i in range(n)
    ]
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]}
    request = {
        "resourceSpans": [{"resource": resource, "scopeSpans": [{"scope": {"name": "s"}, "spans": spans}]}]
    }
    return json.dumps(request).encode()


def _zipkin_json(n: int, trace_base: int) -> bytes:
    """``n`` Zipkin v2 JSON spans with a dozen tags each (~320 bytes a span)."""
    spans = [
        {
            "traceId": f"{trace_base + i // SPANS_PER_TRACE:032x}",
            "id": f"{i + 1:016x}",
            "name": "op",
            "timestamp": NOW_NS // 1000,
            "duration": 10,
            "localEndpoint": {"serviceName": "svc"},
            "tags": {f"k{j}": "v" for j in range(12)},
        }
        for i in range(n)
    ]
    return json.dumps(spans).encode()


def test_large_otlp_json_body_does_not_stall_ready(server: tuple[TempoServer, int]) -> None:
    srv, _ = server
    body = _otlp_json(10_000, "big-otlp-json")  # ~7 MB: ~2 s of json_format
    with ReadyPoller(srv.url, max_s=0.75) as poller:
        status, elapsed = _post(srv.otlp_http_url, body, "application/json")
    assert status == 200
    assert poller.polls >= 3 and not poller.failures, (elapsed, poller.failures)
    status, _ = srv.get_trace(f"{1:032x}")
    assert status == 200


def test_large_zipkin_json_body_does_not_stall_ready(server: tuple[TempoServer, int]) -> None:
    srv, zipkin = server
    body = _zipkin_json(30_000, 0x5A5A0000)  # ~10 MB: ~1.5 s of parsing and mapping
    with ReadyPoller(srv.url, max_s=0.75) as poller:
        status, elapsed = _post(f"http://127.0.0.1:{zipkin}/api/v2/spans", body, "application/json")
    assert status == 202
    assert poller.polls >= 3 and not poller.failures, (elapsed, poller.failures)
    status, _ = srv.get_trace(f"{0x5A5A0000:032x}")
    assert status == 200


def test_slowly_trickled_body_does_not_stall_ready(server: tuple[TempoServer, int]) -> None:
    srv, zipkin = server
    body = _zipkin_json(20, 0x7A7A0000)
    head = (
        f"POST /api/v2/spans HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with ReadyPoller(srv.url, max_s=0.75) as poller, socket.create_connection(("127.0.0.1", zipkin)) as s:
        s.sendall(head)
        step = len(body) // 20 + 1
        for i in range(0, len(body), step):  # ~2 s for the whole body
            s.sendall(body[i : i + step])
            time.sleep(0.1)
        reply = s.recv(100)
    assert reply.startswith(b"HTTP/1.1 202"), reply
    assert poller.polls >= 10 and not poller.failures, poller.failures
