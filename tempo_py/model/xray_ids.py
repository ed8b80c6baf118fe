"""X-Ray trace IDs ↔ 128-bit trace IDs (as the OpenTelemetry X-Ray propagator maps them).

``1-5759e988-bd862e3fe1be46a994272793``: version 1, 8 hex digits of epoch seconds, 24 random hex
digits. The 128-bit ID is the 32 hex digits concatenated, so the epoch lands in the top 4 bytes.
"""

from __future__ import annotations

import re

_XRAY_TRACE_ID = re.compile(r"^1-([0-9a-fA-F]{8})-([0-9a-fA-F]{24})$")
_XRAY_SPAN_ID = re.compile(r"^[0-9a-fA-F]{16}$")


def is_xray_trace_id(value: str) -> bool:
    """Whether ``value`` looks like an X-Ray trace ID."""
    return _XRAY_TRACE_ID.match(value) is not None


def xray_to_trace_id(value: str) -> bytes:
    """16-byte trace ID of an X-Ray trace ID; ValueError with a readable message otherwise."""
    match = _XRAY_TRACE_ID.match(value)
    if match is None:
        raise ValueError(f"{value!r} is not an X-Ray trace id (expected 1-<8 hex digits>-<24 hex digits>)")
    return bytes.fromhex(match.group(1) + match.group(2))


def trace_id_to_xray(trace_id: bytes) -> str:
    """X-Ray form of a 16-byte trace ID."""
    if len(trace_id) != 16:
        raise ValueError(f"a trace id has 16 bytes, got {len(trace_id)}")
    digits = trace_id.hex()
    return f"1-{digits[:8]}-{digits[8:]}"


def xray_to_span_id(value: str) -> bytes:
    """8-byte span ID of an X-Ray segment ID (16 hex digits)."""
    if not isinstance(value, str) or _XRAY_SPAN_ID.match(value) is None:
        raise ValueError(f"{value!r} is not an X-Ray segment id (16 hex digits)")
    return bytes.fromhex(value)
