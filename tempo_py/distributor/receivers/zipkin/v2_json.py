"""Zipkin v2 JSON (``POST /api/v2/spans``, application/json) → :class:`ZipkinSpan` list."""

from __future__ import annotations

import json
import math
from typing import Any

from tempo_py.distributor.receivers.errors import DecodeError
from tempo_py.distributor.receivers.zipkin.model import Endpoint, ZipkinSpan, hex_id


def json_int(value: Any, what: str) -> int:
    if value is None:
        return 0
    # 1e400 parses to inf even without the Infinity literal; int(inf)/int(nan) would be a 500.
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or value < 0
        or (isinstance(value, float) and not math.isfinite(value))
    ):
        raise DecodeError(f"{what} must be a finite non-negative number", "invalid_span")
    return int(value)


def json_str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def endpoint(raw: Any) -> Endpoint | None:
    """A JSON endpoint object (v1 and v2 share the shape)."""
    if not isinstance(raw, dict):
        return None
    port = raw.get("port")
    return Endpoint(
        service_name=json_str(raw.get("serviceName")),
        ipv4=json_str(raw.get("ipv4")),
        ipv6=json_str(raw.get("ipv6")),
        port=port if isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536 else 0,
    )


def span_from_json(raw: Any) -> ZipkinSpan:
    """One v2 JSON span object."""
    if not isinstance(raw, dict):
        raise DecodeError("each span must be a JSON object")
    annotations = []
    for anno in raw.get("annotations") or ():
        if isinstance(anno, dict):
            annotations.append(
                (json_int(anno.get("timestamp"), "annotation timestamp"), json_str(anno.get("value")))
            )
    tags = raw.get("tags") or {}
    if not isinstance(tags, dict):
        raise DecodeError("tags must be an object", "invalid_span")
    return ZipkinSpan(
        trace_id=hex_id(raw.get("traceId"), 16, "traceId"),
        id=hex_id(raw.get("id"), 8, "id"),
        parent_id=hex_id(raw.get("parentId"), 8, "parentId", required=False),
        name=json_str(raw.get("name")),
        kind=json_str(raw.get("kind")).upper(),
        timestamp_us=json_int(raw.get("timestamp"), "timestamp"),
        duration_us=json_int(raw.get("duration"), "duration"),
        local=endpoint(raw.get("localEndpoint")),
        remote=endpoint(raw.get("remoteEndpoint")),
        annotations=annotations,
        tags={str(k): json_str(v) for k, v in tags.items()},
        debug=raw.get("debug") is True,
        shared=raw.get("shared") is True,
    )


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN/Infinity, which are not JSON; ValueError makes them a 400.
    raise ValueError(f"{name} is not a JSON number")


def load_json_list(body: bytes) -> list[Any]:
    """Parse a JSON array body; anything else is a DecodeError."""
    try:
        doc = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise DecodeError(f"body is not JSON: {exc}") from exc
    if not isinstance(doc, list):
        raise DecodeError("body must be a JSON array of spans")
    return doc


def decode_v2_json(body: bytes) -> list[ZipkinSpan]:
    """All spans of a v2 JSON body."""
    return [span_from_json(raw) for raw in load_json_list(body)]
