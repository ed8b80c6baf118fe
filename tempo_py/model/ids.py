"""Trace ID parsing and formatting as Tempo's API does it."""

from __future__ import annotations

import re

from tempo_py.model.xray_ids import is_xray_trace_id, xray_to_trace_id

_HEX = re.compile(r"^[0-9a-fA-F]{1,32}$")


class InvalidTraceID(ValueError):
    """A trace ID that is not 1-32 hex digits (or an X-Ray ID)."""


def parse_trace_id(text: str) -> bytes:
    """Parse 1-32 hex digits (left-padded with zeros, as Tempo does) or an X-Ray trace ID."""
    text = text.strip()
    if is_xray_trace_id(text):
        return xray_to_trace_id(text)
    if not _HEX.match(text):
        raise InvalidTraceID(f"invalid trace ID {text[:64]!r}: expected 1 to 32 hex digits")
    raw = bytes.fromhex(text.rjust(32, "0"))
    if raw == bytes(16):
        raise InvalidTraceID("invalid trace ID: all zeros")
    return raw


def trace_id_hex(trace_id: bytes) -> str:
    """Lower-case 32-digit hex form."""
    return trace_id.hex()
