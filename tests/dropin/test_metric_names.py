"""Tempo's mixin metric names on a real server's /metrics.

``data/tempo_mixin_metric_names.txt`` is the list of names Tempo's dashboards, alerts and rules use
(its header says where it comes from). Every name is either exported by tempo-py after traffic, or
listed with its reason in docs/configuration.md ("Mixin names tempo-py does not export").
"""

from __future__ import annotations

import re
import time
import urllib.request
from pathlib import Path
from typing import Any

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

from tempo_py.testing.otlp_factory import rich_request

HERE = Path(__file__).resolve().parent
DOC = HERE.parent.parent / "docs" / "configuration.md"
MIXIN = [
    ln.strip()
    for ln in (HERE / "data" / "tempo_mixin_metric_names.txt").read_text().splitlines()
    if ln.strip() and not ln.startswith("#")
]

# What tempo-py exports under Tempo's names (docs/configuration.md, "Status pages and metrics").
EXPORTED = {
    "tempo_build_info",
    "tempo_request_duration_seconds",
    "tempo_query_frontend_queries_total",
    "tempodb_backend_request_duration_seconds",
    "tempo_distributor_spans_received_total",
    "tempo_distributor_bytes_received_total",
    "tempo_discarded_spans_total",
    "tempo_receiver_accepted_spans",
    "tempo_receiver_refused_spans",
    "tempo_ingester_blocks_flushed_total",
    "tempo_ingester_flush_duration_seconds",
    "tempo_ingester_live_traces",
    "tempo_ingester_failed_flushes_total",
    "tempodb_blocklist_length",
    "tempodb_compaction_blocks_total",
    "tempodb_compaction_bytes_written_total",
    "tempodb_compaction_errors_total",
    "tempodb_compaction_outstanding_blocks",
    "tempodb_retention_marked_for_deletion_total",
    "tempodb_retention_deleted_total",
    "tempo_limits_defaults",
    "tempo_limits_overrides",
}


def _not_exported_in_docs() -> list[str]:
    text = DOC.read_text()
    section = text.split("Mixin names tempo-py does not export", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"`(tempo[a-z0-9_]*\*?)`", section)


def _documented(name: str, patterns: list[str]) -> bool:
    return any(name.startswith(p[:-1]) if p.endswith("*") else name == p for p in patterns)


def test_every_mixin_name_is_exported_or_explained() -> None:
    patterns = _not_exported_in_docs()
    assert len(MIXIN) > 100
    unexplained = [n for n in MIXIN if n not in EXPORTED and not _documented(n, patterns)]
    assert not unexplained, f"mixin names neither exported nor listed with a reason: {unexplained}"
    both = [n for n in MIXIN if n in EXPORTED and _documented(n, patterns)]
    assert not both, both
    assert set(MIXIN) >= EXPORTED


def test_mixin_names_exist_on_a_real_server(tempo_server_factory: Any) -> None:
    srv = tempo_server_factory(
        {"overrides": {"per_tenant": {"acme": {"block_retention": "48h"}}}, "compactor": {}},
    )
    base = time.time_ns() - 10**9
    http_req = rich_request(n_traces=2, spans_per_trace=3, seed=7, base_ns=base)
    grpc_req = rich_request(n_traces=2, spans_per_trace=3, seed=8, base_ns=base)
    post = urllib.request.Request(
        srv.otlp_http_url,
        data=http_req.SerializeToString(),
        headers={"Content-Type": "application/x-protobuf"},
        method="POST",
    )
    with urllib.request.urlopen(post, timeout=30) as r:
        assert r.status == 200
    with grpc.insecure_channel(srv.otlp_grpc_target) as channel:
        trace_service_pb2_grpc.TraceServiceStub(channel).Export(grpc_req, timeout=30)
    trace_id = http_req.resource_spans[0].scope_spans[0].spans[0].trace_id.hex()
    assert srv.get_trace(trace_id)[0] == 200
    assert srv.request("GET", "/api/search?q=%7B%7D")[0] == 200
    assert srv.request("GET", "/api/v2/search/tags")[0] == 200
    srv.flush()
    n = sum(len(ss.spans) for rs in http_req.resource_spans for ss in rs.scope_spans)
    _, _, body = srv.request("GET", "/metrics")
    text = body.decode()
    present = {m.group(1) for m in re.finditer(r"^# TYPE (\S+) ", text, re.M)}
    present |= {re.sub(r"_(total|bucket|count|sum|created)$", "", n) for n in list(present)}
    present |= {n + "_total" for n in list(present)}
    missing = sorted(n for n in EXPORTED if n not in present)
    assert not missing, missing
    # Tempo's labels, and values that reflect the traffic
    assert re.search(
        r'^tempo_request_duration_seconds_count\{method="GET",'
        r'route="api_v2_traces_traceid",status_code="200",ws="false"\} 1\.0',
        text,
        re.M,
    )
    assert re.search(
        r'^tempo_request_duration_seconds_count\{method="GET",route="api_search",status_code="200"',
        text,
        re.M,
    )
    assert re.search(
        r'^tempo_query_frontend_queries_total\{op="traces",result="completed",tenant="single-tenant"\} 1\.0',
        text,
        re.M,
    )
    assert re.search(
        rf'^tempo_receiver_accepted_spans\{{receiver="otlp",'
        rf'tenant="single-tenant",transport="grpc"\}} {n}\.0',
        text,
        re.M,
    ), text
    assert re.search(
        rf'^tempo_receiver_accepted_spans\{{receiver="otlp",'
        rf'tenant="single-tenant",transport="http"\}} {n}\.0',
        text,
        re.M,
    )
    assert re.search(r'^tempodb_blocklist_length\{tenant="single-tenant"\} [1-9]', text, re.M)
    assert re.search(
        r'^tempodb_backend_request_duration_seconds_count\{operation="PUT",status_code="200"\} [1-9]',
        text,
        re.M,
    )
    assert re.search(
        r'^tempo_build_info\{branch="",goversion="python[0-9.]+",revision="",version="[^"]+"\} 1\.0',
        text,
        re.M,
    )
    assert re.search(
        r'^tempo_limits_overrides\{limit_name="block_retention",user="acme"\} 172800\.0', text, re.M
    )
    assert re.search(r"^tempo_ingester_blocks_flushed_total\{", text, re.M)
