"""A real server holding two linked traces, and headless Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import os
import random
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from tempo_py.model.anyvalue import kv
from tests.query_apis.servers import ApiServer, start_api_server, wait_for

ARTIFACTS = (
    Path(os.environ.get("TEMPO_PY_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")) / "ui"
)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Chromium's own network traffic is refused on a closed machine: turn it off (and sandboxing, as root).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@dataclass(frozen=True)
class Traces:
    """The two traces the UI tests browse: ``main`` links to ``other``."""

    main: str
    other: str


def _span(rs: Any, trace_id: bytes, name: str, start: int, ms: int, parent: bytes = b"", **kw: Any) -> Span:
    sp: Span = rs.scope_spans[0].spans.add()
    sp.trace_id, sp.span_id, sp.name = trace_id, random.randbytes(8), name
    if parent:
        sp.parent_span_id = parent
    sp.start_time_unix_nano, sp.end_time_unix_nano = start, start + ms * 1_000_000
    sp.kind = kw.get("kind", Span.SPAN_KIND_INTERNAL)
    for key, value in kw.get("attrs", {}).items():
        sp.attributes.append(kv(key, value))
    return sp


def build_request() -> tuple[ExportTraceServiceRequest, Traces]:
    """web -> api (an error, with a link to a second trace) -> db, and that second trace."""
    main, other = random.randbytes(16), random.randbytes(16)
    req = ExportTraceServiceRequest()
    resources = {}
    for service in ("ui-web", "ui-api", "ui-db"):
        rs = req.resource_spans.add()
        rs.resource.attributes.extend([kv("service.name", service), kv("host.name", "box-1")])
        rs.scope_spans.add().scope.name = "ui-test"
        resources[service] = rs
    t0 = time.time_ns() - 30 * 10**9
    root = _span(
        resources["ui-web"],
        main,
        "GET /home",
        t0,
        120,
        kind=Span.SPAN_KIND_SERVER,
        attrs={"http.route": "/home"},
    )
    call = _span(
        resources["ui-web"], main, "call api", t0 + 5_000_000, 100, root.span_id, kind=Span.SPAN_KIND_CLIENT
    )
    api = _span(
        resources["ui-api"], main, "handle", t0 + 10_000_000, 90, call.span_id, kind=Span.SPAN_KIND_SERVER
    )
    api.status.CopyFrom(Status(code=Status.STATUS_CODE_ERROR, message="upstream failed"))
    ev = api.events.add()
    ev.time_unix_nano, ev.name = t0 + 20_000_000, "retry"
    ev.attributes.append(kv("attempt", 2))
    _span(
        resources["ui-db"],
        main,
        "SELECT users",
        t0 + 15_000_000,
        40,
        api.span_id,
        kind=Span.SPAN_KIND_CLIENT,
        attrs={"db.system": "postgres"},
    )
    other_root = _span(
        resources["ui-api"], other, "async job", t0 + 200_000_000, 300, kind=Span.SPAN_KIND_CONSUMER
    )
    link = api.links.add()
    link.trace_id, link.span_id = other, other_root.span_id
    link.attributes.append(kv("reason", "follow-up"))
    return req, Traces(main.hex(), other.hex())


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ApiServer, Traces]]:
    """The server, with both traces readable."""
    server = start_api_server(tmp_path_factory.mktemp("ui"))
    try:
        req, traces = build_request()
        status, _, body = server.srv.request(
            "POST",
            "",
            req.SerializeToString(),
            {"Content-Type": "application/x-protobuf"},
            url=server.srv.otlp_http_url,
        )
        assert status == 200, body
        wait_for(lambda: server.get(f"/api/v2/traces/{traces.other}"), lambda r: r[0] == 200)
        yield server, traces
    finally:
        server.srv.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium. Without Chromium or Playwright the tests skip, except in CI (CI=true)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("playwright is not installed")
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            raise RuntimeError(f"no Chromium at {CHROMIUM}: .ci/run installs Debian's chromium")
        pytest.skip("Debian's chromium is not installed")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
