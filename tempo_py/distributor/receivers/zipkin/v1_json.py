"""Zipkin v1 JSON (``POST /api/v1/spans``) → v2-shaped :class:`ZipkinSpan` list.

v1 encodes the span kind in "core" annotations (cs/cr client, sr/ss server, ms/mr messaging)
whose endpoints name the reporting service, and the remote side in "ca"/"sa"/"ma" address binary
annotations. One v1 span holding both client and server annotations is split into a CLIENT span
and a shared SERVER span with the same ID, as Zipkin itself does.
"""

from __future__ import annotations

from typing import Any

from tempo_py.distributor.receivers.errors import DecodeError
from tempo_py.distributor.receivers.zipkin.model import Endpoint, ZipkinSpan, hex_id
from tempo_py.distributor.receivers.zipkin.v2_json import endpoint, json_int, json_str, load_json_list

_CORE = {"cs", "cr", "sr", "ss", "ms", "mr"}
_ADDRESSES = {"ca", "sa", "ma"}


def _half(
    base: ZipkinSpan,
    kind: str,
    begin: tuple[int, Endpoint | None] | None,
    end: tuple[int, Endpoint | None] | None,
) -> ZipkinSpan:
    """One kind's half: start at the begin annotation, duration to the end annotation."""
    half = ZipkinSpan(
        trace_id=base.trace_id,
        id=base.id,
        parent_id=base.parent_id,
        name=base.name,
        kind=kind,
        local=(begin or end or (0, None))[1] or base.local,
        annotations=list(base.annotations),
        tags=dict(base.tags),
        debug=base.debug,
    )
    if begin is not None:
        half.timestamp_us = begin[0]
        if end is not None and end[0] >= begin[0]:
            half.duration_us = end[0] - begin[0]
    return half


def span_from_v1(raw: Any) -> list[ZipkinSpan]:
    """One v1 span object → one or two v2 spans."""
    if not isinstance(raw, dict):
        raise DecodeError("each span must be a JSON object")
    base = ZipkinSpan(
        trace_id=hex_id(raw.get("traceId"), 16, "traceId"),
        id=hex_id(raw.get("id"), 8, "id"),
        parent_id=hex_id(raw.get("parentId"), 8, "parentId", required=False),
        name=json_str(raw.get("name")),
        debug=raw.get("debug") is True,
    )
    core: dict[str, tuple[int, Endpoint | None]] = {}
    fallback_local: Endpoint | None = None
    for anno in raw.get("annotations") or ():
        if not isinstance(anno, dict):
            continue
        value, ts, ep = (
            json_str(anno.get("value")),
            json_int(anno.get("timestamp"), "timestamp"),
            endpoint(anno.get("endpoint")),
        )
        if value in _CORE and value not in core:
            core[value] = (ts, ep)
        else:
            base.annotations.append((ts, value))
        fallback_local = fallback_local or ep
    remotes: dict[str, Endpoint | None] = {}
    for banno in raw.get("binaryAnnotations") or ():
        if not isinstance(banno, dict):
            continue
        key, ep = json_str(banno.get("key")), endpoint(banno.get("endpoint"))
        if key in _ADDRESSES:
            remotes[key] = ep
            continue
        base.tags[key] = json_str(banno.get("value"))
        if key == "lc" or fallback_local is None:
            fallback_local = ep or fallback_local
    base.local = fallback_local

    halves: list[ZipkinSpan] = []
    if "cs" in core or "cr" in core:
        halves.append(_half(base, "CLIENT", core.get("cs"), core.get("cr")))
        halves[-1].remote = remotes.get("sa")
    if "sr" in core or "ss" in core:
        halves.append(_half(base, "SERVER", core.get("sr"), core.get("ss")))
        halves[-1].remote = remotes.get("ca")
    if "ms" in core:
        halves.append(_half(base, "PRODUCER", core["ms"], None))
        halves[-1].remote = remotes.get("ma")
    if "mr" in core:
        halves.append(_half(base, "CONSUMER", core["mr"], None))
        halves[-1].remote = remotes.get("ma")
    if not halves:
        halves.append(base)
        base.remote = remotes.get("sa") or remotes.get("ca") or remotes.get("ma")
    # The span-level timestamp/duration belong to whoever started the span: the first half.
    timestamp, duration = raw.get("timestamp"), raw.get("duration")
    if timestamp is not None:
        halves[0].timestamp_us = json_int(timestamp, "timestamp")
    if duration is not None:
        halves[0].duration_us = json_int(duration, "duration")
    for later in halves[1:]:
        later.shared = True
    if len(halves) == 1 and halves[0].kind == "SERVER" and timestamp is None:
        # A server-only v1 span without its own timestamp is the server side of a shared span.
        halves[0].shared = True
    return halves


def decode_v1_json(body: bytes) -> list[ZipkinSpan]:
    """All spans of a v1 JSON body."""
    return [span for raw in load_json_list(body) for span in span_from_v1(raw)]
