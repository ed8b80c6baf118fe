"""Grafana Tempo's own vParquet4/vParquet5 blocks, read by a real tempo-py server.

The fixtures (``../shared/tempo-blocks``) hold blocks written by Tempo 3.1 and Tempo's answers.
A server is pointed at a copy of one version's tenant folder (local backend, Tempo's layout
``<tenant>/<block>/``, Tempo's own tenant index included: ours cannot read it and lists instead);
every trace by ID must equal Tempo's answer as OTLP content, every search must return the
traces Tempo returned, tag names must match. A ``querier`` server reads the Tempo blocks as they
are; an ``all`` server also compacts them into our format, after which the same answers must
come back, and a trace with spans in a Tempo block and in one of ours must come back whole.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tempo_py.block.encoding import write_block
from tempo_py.model.otlp_to_arrow import resource_spans_to_table
from tempo_py.storage.local import LocalStore
from tests.support.settings import block_settings
from tests.tempo_blocks.fixtures import (
    TENANT,
    VERSIONS,
    blocks_json,
    canonical,
    copy_bucket,
    expected_trace,
    require_fixtures,
    sent_traces,
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
    # Tempo and tempo-py disagree on event/link conditions: Tempo leaves out e.g. trace
    # 14e97fbc... (a span with a link {link.reason = "retry", link.hop = 50}) and returns e.g.
    # aba25be1..., where no one event has both exception.type = TimeoutError and escaped = true
    '{ event.exception.type = "TimeoutError" && event.exception.escaped = true } || '
    '{ link.link.reason = "retry" && link.link.hop > 25 }': "one extra trace",
}


def _server(factory: Any, tmp_path: Path, version: str, target: str = "querier") -> Any:
    """A server over a copy of one version's blocks; ``querier`` reads them only (no compactor)."""
    bucket = copy_bucket(tmp_path / f"bucket-{version}", (version,))
    return factory(
        {
            "target": target,
            "storage": {"trace": {"local": {"path": str(bucket)}}},
            # the spans are dated 2026-12-01: block retention must not delete them
            "compactor": {"compaction": {"block_retention": "876000h"}},
        },
        name=f"{version}-{target}",
    )


def _metas(bucket: Path) -> dict[str, dict[str, Any]]:
    """Live block metas of the bucket's tenant, by block ID."""
    out = {}
    for meta in (bucket / TENANT).glob("*/meta.json"):
        if not (meta.parent / "meta.compacted.json").exists():
            out[meta.parent.name] = json.loads(meta.read_text())
    return out


def _wait_compacted(bucket: Path, timeout: float = 60.0) -> dict[str, dict[str, Any]]:
    """Wait until every Tempo block was compacted into blocks of ours; their metas."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        live = _metas(bucket)
        if live and all(m.get("format") == "vParquet-py1" for m in live.values()):
            return live
        time.sleep(0.2)
    raise AssertionError(f"Tempo blocks not compacted: {_metas(bucket)}")


def _check_traces(srv: Any, version: str) -> None:
    """Every trace equals Tempo's answer and what was sent (as OTLP content; Tempo keeps no
    schema URLs, which the comparison leaves out)."""
    ids = _trace_ids(version)
    assert len(ids) == 300
    sent = sent_traces()
    assert sorted(sent) == ids
    differ, unlike_sent = [], []
    for t in ids:
        status, body = srv.get_trace(t)
        assert status == 200, (t, status, body[:300], srv.log_tail())
        got = canonical(json.loads(body))
        if got != canonical(expected_trace(t)):
            differ.append(t)
        if got != canonical(sent[t]):
            unlike_sent.append(t)
    assert not differ, f"{len(differ)} traces differ from Tempo's answer, e.g. {differ[:3]}"
    assert not unlike_sent, f"{len(unlike_sent)} traces differ from what was sent, e.g. {unlike_sent[:3]}"


def _check_searches(srv: Any) -> None:
    searches = json.loads((require_fixtures() / "expected" / "search.json").read_text())
    wrong = []
    for q in searches["queries"]:
        want = _search_ids(q["response_vParquet5"])
        got = _search_ids(_get_json(srv, q["url"]))
        if (got != want) != (q["q"] in KNOWN_DIFFERENT):
            wrong.append((q["q"], len(want), len(got), sorted(want - got)[:3], sorted(got - want)[:3]))
    assert not wrong, wrong


def _check_tags(srv: Any) -> None:
    # tag names per scope: Tempo's vParquet4 answer lists every attribute (its vParquet5 answer
    # leaves out attributes it keeps in dedicated columns, see the fixtures' README)
    tags = json.loads((require_fixtures() / "expected" / "tags.json").read_text())["vParquet4"]
    want = {s["name"]: set(s["tags"]) for s in tags["response"]["scopes"] if s["name"] != "intrinsic"}
    got = _get_json(srv, tags["url"])
    assert {s["name"]: set(s["tags"]) for s in got["scopes"] if s["name"] != "intrinsic"} == want
    # tag values and the Jaeger/Zipkin service lists read the same blocks
    services = ["auth", "checkout", "frontend", "inventory", "payment"]
    window = tags["url"].split("?", 1)[1]
    values = _get_json(srv, f"/api/v2/search/tag/resource.service.name/values?{window}")
    assert sorted(v["value"] for v in values["tagValues"]) == services
    assert _get_json(srv, "/jaeger/api/services")["data"] == services


def _trace_ids(version: str) -> list[str]:
    return sorted({t for b in blocks_json()["versions"][version]["blocks"] for t in b["trace_ids"]})


def _get_json(srv: Any, path: str) -> Any:
    status, _, body = srv.request("GET", path)
    assert status == 200, (path, status, body[:500], srv.log_tail())
    return json.loads(body)


def _search_ids(response: dict[str, Any]) -> set[str]:
    return {t["traceID"].lstrip("0") for t in response.get("traces", [])}


@pytest.mark.parametrize("version", VERSIONS)
def test_tempo_blocks_answer_as_tempo_did(tempo_server_factory: Any, tmp_path: Path, version: str) -> None:
    require_fixtures()
    srv = _server(tempo_server_factory, tmp_path, version)
    _check_traces(srv, version)
    _check_searches(srv)
    _check_tags(srv)
    assert all(m["format"] == version for m in _metas(tmp_path / f"bucket-{version}").values())


@pytest.mark.parametrize("version", VERSIONS)
def test_tempo_blocks_compacted_into_ours_answer_the_same(
    tempo_server_factory: Any, tmp_path: Path, version: str
) -> None:
    require_fixtures()
    srv = _server(tempo_server_factory, tmp_path, version, target="all")
    live = _wait_compacted(tmp_path / f"bucket-{version}")
    assert sum(m["spanCount"] for m in live.values()) == 3388
    _check_traces(srv, version)
    _check_searches(srv)
    _check_tags(srv)


def _extra_part(trace_hex: str) -> dict[str, Any]:
    """One more span of a trace Tempo stored: a copy of its first span under a new ID and name."""
    first = expected_trace(trace_hex)["trace"]["resourceSpans"][0]
    span = dict(first["scopeSpans"][0]["spans"][0])
    span.update({"spanId": "AQIDBAUGBwg=", "name": "added-by-tempo-py", "parentSpanId": span["spanId"]})
    scope = first["scopeSpans"][0]["scope"]
    return {
        "resourceSpans": [{"resource": first["resource"], "scopeSpans": [{"scope": scope, "spans": [span]}]}]
    }


@pytest.mark.parametrize("version", VERSIONS)
def test_trace_split_between_a_tempo_block_and_ours(
    tempo_server_factory: Any, tmp_path: Path, version: str
) -> None:
    """A trace with spans in Tempo blocks and in a block tempo-py wrote comes back whole."""
    require_fixtures()
    bucket = copy_bucket(tmp_path / f"bucket-{version}", (version,))
    split = sorted(blocks_json()["split_traces"])[0]  # in two Tempo blocks already
    extra = _extra_part(split)
    req = json_format.ParseDict(extra, ExportTraceServiceRequest(), ignore_unknown_fields=True)
    ours = asyncio.run(
        write_block(LocalStore(bucket), TENANT, resource_spans_to_table(req.resource_spans), block_settings())
    )
    srv = tempo_server_factory(
        {
            "target": "querier",
            "storage": {"trace": {"local": {"path": str(bucket)}}},
            "compactor": {"compaction": {"block_retention": "876000h"}},
        },
        name="mixed",
    )
    assert {m["format"] for m in _metas(bucket).values()} == {version, ours.version}
    status, body = srv.get_trace(split)
    assert status == 200, (status, body[:300], srv.log_tail())
    tempo_part = expected_trace(split)["trace"]["resourceSpans"]
    want = {"trace": {"resourceSpans": [*tempo_part, *extra["resourceSpans"]]}}
    assert canonical(json.loads(body)) == canonical(want)
