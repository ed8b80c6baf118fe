"""The rendered single-binary and agent manifests, booted as local processes, wire together.

Each container runs with the command, args and env of the rendered YAML and its ConfigMap written
at its mount path (tests/deploy/localpod.py says what stands in for Kubernetes). Spans go to the
agent's host ports with real clients (the OpenTelemetry SDK's OTLP exporters, jaeger-client over
UDP, py_zipkin) and are read back from the single binary's Service; a ``kill -9`` of the single
binary while the agent queues, then its restart, loses nothing the agent acknowledged.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.localpod import NODE_NAME, Cluster, LocalPod
from tests.deploy.manifests import one, render

JAEGER_EMIT = Path(__file__).resolve().parents[1] / "receivers" / "clients" / "jaeger_client_emit.py"


@pytest.fixture
def pods(tmp_path: Path) -> Iterator[tuple[LocalPod, LocalPod]]:
    """(single binary, agent), not started; killed at the end."""
    docs = render("single-binary") + render("agent")
    cluster = Cluster(docs)
    server = LocalPod(cluster, one(docs, "StatefulSet", "tempo-py"), tmp_path / "tempo-py-0")
    agent = LocalPod(cluster, one(docs, "DaemonSet", "tempo-py-agent"), tmp_path / "tempo-py-agent")
    yield server, agent
    agent.kill()
    server.kill()


def get_json(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, None


def wait_trace(server: LocalPod, trace_id: str, n_spans: int, timeout: float = 60.0) -> list[dict[str, Any]]:
    """The trace's resource spans once it has ``n_spans`` spans (Tempo v2 JSON from the Service port)."""
    deadline = time.monotonic() + timeout
    got: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        status, body = get_json(f"{server.url('http')}/api/v2/traces/{trace_id}")
        if status == 200:
            got = body["trace"]["resourceSpans"]
            if sum(len(ss["spans"]) for rs in got for ss in rs["scopeSpans"]) >= n_spans:
                return got
        time.sleep(0.2)
    raise AssertionError(f"trace {trace_id}: wanted {n_spans} spans, have {got}\n{server.log_tail()}")


def span_ids(resource_spans: list[dict[str, Any]]) -> list[str]:
    return [sp["spanId"] for rs in resource_spans for ss in rs["scopeSpans"] for sp in ss["spans"]]


def resource_attrs(rs: dict[str, Any]) -> dict[str, Any]:
    return {a["key"]: next(iter(a["value"].values())) for a in rs["resource"]["attributes"]}


def otel_spans(service: str, n: int) -> tuple[list[Any], str]:
    """``n`` finished SDK spans of one trace (a root and children), and the trace ID."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("tests.deploy")
    with tracer.start_as_current_span("root") as root:
        for i in range(n - 1):
            with tracer.start_as_current_span(f"child-{i}"):
                pass
    spans = list(memory.get_finished_spans())
    provider.shutdown()
    return spans, f"{root.get_span_context().trace_id:032x}"


def grpc_exporter(agent: LocalPod) -> Any:
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=f"127.0.0.1:{agent.port('otlp-grpc')}", insecure=True, timeout=10)


def test_every_client_through_the_agent_reaches_the_single_binary(pods: tuple[LocalPod, LocalPod]) -> None:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter
    from opentelemetry.sdk.trace.export import SpanExportResult
    from py_zipkin.encoding._types import Encoding
    from py_zipkin.transport import BaseTransportHandler
    from py_zipkin.zipkin import zipkin_span

    server, agent = pods
    server.start()
    agent.start()
    for pod in (server, agent):  # every probe path is served by its container
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            if probe in pod.container:
                with urllib.request.urlopen(pod.probe_url(probe), timeout=5) as r:
                    assert r.status == 200, (pod.name, probe)
    # Applications reach the agent at status.hostIP:<hostPort> (here: 127.0.0.1 and the local port).
    grpc_spans, grpc_trace = otel_spans("otel-grpc", 3)
    assert grpc_exporter(agent).export(grpc_spans) == SpanExportResult.SUCCESS
    http_spans, http_trace = otel_spans("otel-http", 2)
    http = HttpExporter(endpoint=f"{agent.url('otlp-http')}/v1/traces", timeout=10)
    assert http.export(http_spans) == SpanExportResult.SUCCESS

    jaeger_out = subprocess.run(
        [sys.executable, str(JAEGER_EMIT), str(agent.port("jaeger-compact"))],
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout
    jaeger_trace = json.loads(jaeger_out.splitlines()[-1])["root-op"]["trace_id"]

    zipkin_url = f"{agent.url('zipkin')}/api/v2/spans"

    class Post(BaseTransportHandler):  # type: ignore[misc]
        def get_max_payload_bytes(self) -> None:
            return None

        def send(self, payload: bytes | str) -> None:
            data = payload.encode() if isinstance(payload, str) else payload
            req = urllib.request.Request(zipkin_url, data=data, headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=10) as resp:
                assert resp.status == 202

    with (
        zipkin_span(
            service_name="pyzipkin-svc",
            span_name="z-root",
            transport_handler=Post(),
            sample_rate=100.0,
            encoding=Encoding.V2_JSON,
            use_128bit_trace_id=True,
        ) as zroot,
        zipkin_span(service_name="pyzipkin-svc", span_name="z-child"),
    ):
        pass
    zipkin_trace = zroot.zipkin_attrs.trace_id

    for trace_id, n, service in (
        (grpc_trace, 3, "otel-grpc"),
        (http_trace, 2, "otel-http"),
        (jaeger_trace, 3, "jaeger-py-svc"),
        (zipkin_trace, 2, "pyzipkin-svc"),
    ):
        rss = wait_trace(server, trace_id, n)
        assert len(span_ids(rss)) == n, trace_id
        for rs in rss:
            attrs = resource_attrs(rs)
            assert attrs["service.name"] == service
            # The DaemonSet's Downward API env reached the spans; no cluster name is configured.
            assert attrs["k8s.node.name"] == NODE_NAME
            assert "k8s.cluster.name" not in attrs


def _metric(agent: LocalPod, name: str) -> float:
    with urllib.request.urlopen(f"{agent.url('http')}/metrics", timeout=10) as r:
        text = r.read().decode()
    m = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    assert m, name
    return float(m.group(1))


def wait_for(cond: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError(what)


def test_kill_9_of_the_single_binary_loses_nothing_the_agent_acknowledged(
    pods: tuple[LocalPod, LocalPod],
) -> None:
    from opentelemetry.sdk.trace.export import SpanExportResult

    server, agent = pods
    server.start()
    agent.start()
    exporter = grpc_exporter(agent)
    sent: dict[str, int] = {}
    spans, trace = otel_spans("before-crash", 4)
    assert exporter.export(spans) == SpanExportResult.SUCCESS
    sent[trace] = 4
    server.kill()  # right after the agent's ack: that batch may or may not have been forwarded
    for i in range(5):
        spans, trace = otel_spans(f"during-outage-{i}", 3)
        assert exporter.export(spans) == SpanExportResult.SUCCESS  # acknowledged = on the agent's disk
        sent[trace] = 3
    assert _metric(agent, "tempo_py_agent_queue_pending_bytes") > 0
    agent_queue = Path(agent.host_path("/var/lib/tempo-py-agent/queue"))
    assert any(agent_queue.glob("*.seg"))
    server.start()  # same volume: the WAL replays, then the agent's retries get through
    for trace, n in sent.items():
        ids = span_ids(wait_trace(server, trace, n))
        assert len(ids) == n == len(set(ids)), trace
    wait_for(
        lambda: _metric(agent, "tempo_py_agent_queue_pending_bytes") == 0, 30, "the agent's queue drained"
    )
