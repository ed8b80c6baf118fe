"""The Zipkin v2 span shape every Zipkin decoder produces and the OTLP mapping consumes."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from tempo_py.distributor.receivers.errors import DecodeError


@dataclass
class Endpoint:
    """A Zipkin endpoint (service plus network address)."""

    service_name: str = ""
    ipv4: str = ""
    ipv6: str = ""
    port: int = 0


@dataclass
class ZipkinSpan:
    """One Zipkin v2 span; IDs already as fixed-size big-endian bytes, times in µs."""

    trace_id: bytes
    id: bytes
    parent_id: bytes = b""
    name: str = ""
    kind: str = ""
    timestamp_us: int = 0
    duration_us: int = 0
    local: Endpoint | None = None
    remote: Endpoint | None = None
    annotations: list[tuple[int, str]] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    debug: bool = False
    shared: bool = False


def hex_id(value: object, size: int, what: str, *, required: bool = True) -> bytes:
    """Decode a hex ID of up to ``2*size`` digits, left-padded with zeros to ``size`` bytes."""
    if value is None or value == "":
        if required:
            raise DecodeError(f"missing {what}", "invalid_span")
        return b""
    if not isinstance(value, str) or len(value) > 2 * size:
        raise DecodeError(f"{what} must be a hex string of at most {2 * size} digits", "invalid_span")
    try:
        raw = bytes.fromhex(value.rjust(2 * size, "0"))
    except ValueError as exc:
        raise DecodeError(f"{what} {value!r} is not hex", "invalid_span") from exc
    if required and not any(raw):
        raise DecodeError(f"{what} is all zeros", "invalid_span")
    return raw


def ip_text(raw: bytes, version: int) -> str:
    """Text form of a packed IP address (protobuf endpoints); empty when absent or malformed."""
    try:
        if version == 4 and len(raw) == 4:
            return str(ipaddress.IPv4Address(raw))
        if version == 6 and len(raw) == 16:
            return str(ipaddress.IPv6Address(raw))
    except ValueError:
        return ""
    return ""
