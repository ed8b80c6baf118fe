"""Grafana Tempo's own vParquet4/vParquet5 blocks, read by a real tempo-py server.

The fixtures (``../shared/tempo-blocks``) hold blocks written by Tempo 3.1 and Tempo's answers.
A server is pointed at a copy of one version's blocks (local backend, Tempo's layout
``<tenant>/<block>/``); every trace by ID must equal Tempo's answer as OTLP content, every
search must return the traces Tempo returned, tag names must match, and a trace with spans in a
Tempo block and in one of ours must come back whole.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.tempo_blocks.fixtures import (
    VERSIONS,
    blocks_json,
    canonical,
    copy_bucket,
    expected_trace,
    require_fixtures,
)

# Searches whose answer still differs from Tempo's, for reasons outside the block reader (the
# TraceQL engine in tempo_py/querier/): checked to still differ so a fix shows up here.
KNOWN_DIFFERENT = {
    # Tempo matches an array attribute when one element equals the value; our engine does not
    '{ span.tags = "PATCH" && resource.deployment.canary = true }': "array attribute membership",
    # Tempo evaluates structural operators per block, so it misses split traces whose parts sit in
    # different blocks (3 of the split traces); tempo-py joins a trace's parts before evaluating
    '{ resource.k8s.namespace.name = "shop-prod" } >> '
    '{ resource.service.name = "payment" && status = error }': "Tempo misses split traces",
    # one trace more than Tempo returns (event/link conditions): not yet analysed
    '{ event.exception.type = "TimeoutError" && event.exception.escaped = true } || '
    '{ link.link.reason = "retry" && link.link.hop > 25 }': "one extra trace",
}


def _server(factory: Any, tmp_path: Path, version: str) -> Any:
    bucket = copy_bucket(tmp_path / f"bucket-{version}", (version,))
    return factory(
        {
            "storage": {"trace": {"local": {"path": str(bucket)}}},
            # the spans are dated 2026-12-01: keep every block, and leave them as Tempo wrote them
            "compactor": {"compaction": {"block_retention": "876000h", "compaction_cycle": "1000h"}},
        },
        name=version,
    )


def _trace_ids(version: str) -> list[str]:
    return sorted({t for b in blocks_json()["versions"][version]["blocks"] for t in b["trace_ids"]})


def _get_json(srv: Any, path: str) -> Any:
    status, _, body = srv.request("GET", path)
    assert status == 200, (path, status, body[:500], srv.log_tail())
    return json.loads(body)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_trace_by_id_equals_tempos_answer(
    tempo_server_factory: Any, tmp_path: Path, version: str
) -> None:
    require_fixtures()
    srv = _server(tempo_server_factory, tmp_path, version)
    ids = _trace_ids(version)
    assert len(ids) == 300
    differ = []
    for t in ids:
        status, body = srv.get_trace(t)
        assert status == 200, (t, status, body[:300], srv.log_tail())
        if canonical(json.loads(body)) != canonical(expected_trace(t)):
            differ.append(t)
    assert not differ, f"{len(differ)} traces differ from Tempo's answer, e.g. {differ[:3]}"


def _search_ids(response: dict[str, Any]) -> set[str]:
    return {t["traceID"].lstrip("0") for t in response.get("traces", [])}


@pytest.mark.parametrize("version", VERSIONS)
def test_searches_and_tags_match_tempo(tempo_server_factory: Any, tmp_path: Path, version: str) -> None:
    fixtures = require_fixtures()
    srv = _server(tempo_server_factory, tmp_path, version)
    searches = json.loads((fixtures / "expected" / "search.json").read_text())
    wrong = []
    for q in searches["queries"]:
        want = _search_ids(q["response_vParquet5"])
        got = _search_ids(_get_json(srv, q["url"]))
        if (got != want) != (q["q"] in KNOWN_DIFFERENT):
            wrong.append((q["q"], len(want), len(got), sorted(want - got)[:3], sorted(got - want)[:3]))
    assert not wrong, wrong

    # tag names per scope: Tempo's vParquet4 answer lists every attribute (its vParquet5 answer
    # leaves out attributes it keeps in dedicated columns, see the fixtures' README)
    tags = json.loads((fixtures / "expected" / "tags.json").read_text())["vParquet4"]
    want_scopes = {s["name"]: set(s["tags"]) for s in tags["response"]["scopes"] if s["name"] != "intrinsic"}
    got = _get_json(srv, tags["url"])
    got_scopes = {s["name"]: set(s["tags"]) for s in got["scopes"] if s["name"] != "intrinsic"}
    assert got_scopes == want_scopes


def test_trace_split_between_a_tempo_block_and_ours(tempo_server_factory: Any, tmp_path: Path) -> None:
    require_fixtures()
    srv = _server(tempo_server_factory, tmp_path, "vParquet5")
    trace_hex = _trace_ids("vParquet5")[0]
    tempo_part = expected_trace(trace_hex)
    # one more span of the same trace, ingested by tempo-py and flushed into a block of ours
    first = tempo_part["trace"]["resourceSpans"][0]
    extra_span = dict(first["scopeSpans"][0]["spans"][0])
    extra_span.update(
        {"spanId": "AQIDBAUGBwg=", "name": "added-by-tempo-py", "parentSpanId": extra_span["spanId"]}
    )
    extra = {
        "resourceSpans": [
            {
                "resource": first["resource"],
                "scopeSpans": [{"scope": first["scopeSpans"][0]["scope"], "spans": [extra_span]}],
            }
        ]
    }
    req = json_format.ParseDict(extra, ExportTraceServiceRequest(), ignore_unknown_fields=True)
    http = urllib.request.Request(
        srv.otlp_http_url,
        data=req.SerializeToString(),
        method="POST",
        headers={"Content-Type": "application/x-protobuf"},
    )
    with urllib.request.urlopen(http, timeout=30) as r:
        assert r.status == 200
    srv.flush()
    blocks = list((tmp_path / "bucket-vParquet5" / "single-tenant").iterdir())
    assert len(blocks) > 3, "the flush wrote no block of ours"
    status, body = srv.get_trace(trace_hex)
    assert status == 200
    want = {"trace": {"resourceSpans": [*tempo_part["trace"]["resourceSpans"], *extra["resourceSpans"]]}}
    assert canonical(json.loads(body)) == canonical(want)
