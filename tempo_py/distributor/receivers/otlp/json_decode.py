"""OTLP/JSON -> ExportTraceServiceRequest, per the OTLP JSON encoding rules.

The rules differ from protobuf's canonical JSON in one way that matters: trace and span IDs are
hex strings, not base64. Everything else (lowerCamelCase names, int64 as string or number, enum
values as integers, bytes attribute values as base64) is what ``json_format.ParseDict`` accepts.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tempo_py.distributor.receivers.errors import DecodeError

# JSON nesting a body may have. A span's attributes sit ~8 levels down and each nested AnyValue
# (kvlistValue/arrayValue) adds 3, so this allows ~40 levels of AnyValue: ample for real data, and
# far below where json_format.ParseDict recursing through it would hit RecursionError (a 500).
MAX_JSON_DEPTH = 128

_ID_FIELDS = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")


class OTLPJSONError(DecodeError):
    """The body is not valid OTLP/JSON."""


def _check_depth(doc: Any) -> None:
    """Raise OTLPJSONError if ``doc`` nests deeper than MAX_JSON_DEPTH (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise OTLPJSONError(f"invalid OTLP/JSON: nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node if isinstance(v, dict | list))


def _hex_to_b64(obj: dict[str, Any], where: str) -> None:
    for f in _ID_FIELDS:
        v = obj.get(f)
        if isinstance(v, str):
            try:
                obj[f] = base64.b64encode(bytes.fromhex(v)).decode()
            except ValueError as e:
                raise OTLPJSONError(f"{where}.{f}: {v[:40]!r} is not a hex ID") from e


def decode_otlp_json(body: bytes) -> ExportTraceServiceRequest:
    """Parse an OTLP/JSON trace export body. Raises OTLPJSONError with a readable message."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise OTLPJSONError(f"invalid JSON: {e}") from e
    _check_depth(doc)
    if not isinstance(doc, dict):
        raise OTLPJSONError("invalid OTLP/JSON: the body must be a JSON object")
    rss = doc.get("resourceSpans", doc.get("resource_spans", []))
    if not isinstance(rss, list):
        raise OTLPJSONError("invalid OTLP/JSON: resourceSpans must be an array")
    try:
        for i, rs in enumerate(rss):
            for j, ss in enumerate(rs.get("scopeSpans", rs.get("scope_spans", [])) or []):
                for k, sp in enumerate(ss.get("spans", []) or []):
                    where = f"resourceSpans[{i}].scopeSpans[{j}].spans[{k}]"
                    _hex_to_b64(sp, where)
                    for n, link in enumerate(sp.get("links", []) or []):
                        _hex_to_b64(link, f"{where}.links[{n}]")
    except (AttributeError, TypeError) as e:
        raise OTLPJSONError(f"invalid OTLP/JSON structure: {e}") from e
    req = ExportTraceServiceRequest()
    try:
        json_format.ParseDict(doc, req, ignore_unknown_fields=True)
    except (json_format.ParseError, binascii.Error, ValueError, TypeError, RecursionError) as e:
        raise OTLPJSONError(f"invalid OTLP/JSON: {e}") from e
    return req
