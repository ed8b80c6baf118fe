"""Trace ID parsing and formatting as Tempo's API does it."""

from __future__ import annotations

import re

_HEX = re.compile(r"^[0-9a-fA-F]{1,32}$")
_XRAY = re.compile(r"^1-([0-9a-fA-F]{8})-([0-9a-fA-F]{24})$")


class InvalidTraceID(ValueError):
    """A trace ID that is not 1-32 hex digits (or an X-Ray ID)."""


def parse_trace_id(text: str) -> bytes:
    """Parse 1-32 hex digits (left-padded with zeros, as Tempo does) or an X-Ray trace ID."""
    text = text.strip()
    m = _XRAY.match(text)
    if m:
        return bytes.fromhex(m.group(1) + m.group(2))
    if not _HEX.match(text):
        raise InvalidTraceID(f"invalid trace ID {text[:64]!r}: expected 1 to 32 hex digits")
    raw = bytes.fromhex(text.rjust(32, "0"))
    if raw == bytes(16):
        raise InvalidTraceID("invalid trace ID: all zeros")
    return raw


def trace_id_hex(trace_id: bytes) -> str:
    """Lower-case 32-digit hex form."""
    return trace_id.hex()
