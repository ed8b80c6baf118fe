"""The Tempo block fixtures (``../shared/tempo-blocks`` beside the repo) and OTLP comparison.

Traces are compared as OTLP content (what was sent and Tempo's answers alike): the set of
spans, each with its resource and scope; attribute lists by key (Tempo's vParquet4 and vParquet5
order them differently), events by time and name, links by trace and span ID (Tempo's order
within split traces is not meaningful); schema URLs are left out (Tempo keeps none).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, TracesData

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "tempo-blocks"
VERSIONS = ("vParquet4", "vParquet5")
TENANT = "single-tenant"


def require_fixtures() -> Path:
    """The fixture directory; skips the test when it is absent."""
    if not (SHARED / "blocks.json").is_file():
        pytest.skip(f"Tempo block fixtures not found at {SHARED} (copy shared/ beside the repo)")
    return SHARED


def blocks_json() -> dict[str, Any]:
    """blocks.json: blocks and trace IDs per version, split traces."""
    data: dict[str, Any] = json.loads((require_fixtures() / "blocks.json").read_text())
    return data


def copy_bucket(dest: Path, versions: tuple[str, ...]) -> Path:
    """A writable copy of the tenant folders of ``versions`` under one bucket root
    (``<root>/<tenant>/<block>/``, as Tempo lays it out), Tempo's own tenant index included."""
    src = require_fixtures()
    for version in versions:
        shutil.copytree(src / version / TENANT, dest / TENANT, dirs_exist_ok=True)
    for f in dest.rglob("*"):
        f.chmod(0o755 if f.is_dir() else 0o644)
    return dest


def expected_trace(trace_hex: str) -> dict[str, Any]:
    """Tempo's answer to GET /api/v2/traces/<id>."""
    data: dict[str, Any] = json.loads((require_fixtures() / "expected" / f"{trace_hex}.json").read_text())
    return data


def _sorted_attrs(attrs: Any) -> list[Any]:
    return sorted(attrs, key=lambda kv: (kv.key, kv.value.SerializeToString()))


def canonical(trace: dict[str, Any]) -> list[str]:
    """A v2 trace response (``{"trace": {"resourceSpans": ...}}``) as sorted canonical span strings."""
    td = json_format.ParseDict(trace.get("trace", trace), TracesData(), ignore_unknown_fields=True)
    out = []
    for rs in td.resource_spans:
        res = [json_format.MessageToDict(kv) for kv in _sorted_attrs(rs.resource.attributes)]
        for ss in rs.scope_spans:
            scope = {
                "name": ss.scope.name,
                "version": ss.scope.version,
                "attrs": [json_format.MessageToDict(kv) for kv in _sorted_attrs(ss.scope.attributes)],
                "dropped": ss.scope.dropped_attributes_count,
            }
            for sp in ss.spans:
                if not sp.status.ByteSize():
                    sp.ClearField("status")  # an empty status is no status
                attrs = _sorted_attrs(sp.attributes)
                del sp.attributes[:]
                sp.attributes.extend(attrs)
                events = sorted(sp.events, key=lambda e: (e.time_unix_nano, e.name, e.SerializeToString()))
                for e in events:
                    ea = _sorted_attrs(e.attributes)
                    del e.attributes[:]
                    e.attributes.extend(ea)
                links = sorted(sp.links, key=lambda link: (link.trace_id, link.span_id))
                for link in links:
                    la = _sorted_attrs(link.attributes)
                    del link.attributes[:]
                    link.attributes.extend(la)
                evs, lks = list(events), list(links)
                del sp.events[:]
                sp.events.extend(evs)
                del sp.links[:]
                sp.links.extend(lks)
                doc = {
                    "resource": res,
                    "resource_dropped": rs.resource.dropped_attributes_count,
                    "scope": scope,
                    "span": json_format.MessageToDict(sp),
                }
                out.append(json.dumps(doc, sort_keys=True))
    return sorted(out)


def sent_traces() -> dict[str, dict[str, Any]]:
    """What was sent (``sent/requests-*.binpb``), per trace ID (hex), as v2 trace responses."""
    by_trace: dict[str, TracesData] = {}
    for path in sorted((require_fixtures() / "sent").glob("requests-*.binpb")):
        req = ExportTraceServiceRequest.FromString(path.read_bytes())
        for rs in req.resource_spans:
            for ss in rs.scope_spans:
                for sp in ss.spans:
                    td = by_trace.setdefault(sp.trace_id.hex(), TracesData())
                    part = ResourceSpans(resource=rs.resource)
                    part.scope_spans.add(scope=ss.scope).spans.append(sp)
                    td.resource_spans.append(part)
    return {t: {"trace": json_format.MessageToDict(td)} for t, td in by_trace.items()}
