"""Hand-rolled protobuf wire encoding for the OTLP trace messages the workload generator emits.

Building `opentelemetry.proto` message objects attribute by attribute costs several microseconds per
attribute in Python, which caps generation far below what throughput benchmarks need. The generator
instead pre-encodes everything static about an operation once (span name, kind, constant attributes,
scopes, resources, exception events) and only encodes the few per-span values (IDs, timestamps,
IDs inside URLs and statements) at generation time. The output is canonical protobuf: fields in
field-number order, so `Message.FromString(b).SerializeToString() == b` (the tests check this).

Only the subset of the wire format OTLP traces need is here: varints, fixed64, length-delimited.
"""

from __future__ import annotations

import struct

_WIRE_VARINT = 0
_WIRE_FIXED64 = 1
_WIRE_LEN = 2

# Nearly every length we encode is below 2**14; a lookup table avoids a Python loop per varint.
_VARINT_CACHE_LIMIT = 1 << 14


def _encode_varint_slow(value: int) -> bytes:
    if value < 0:
        # int64 negatives are encoded as 10-byte two's complement varints.
        value += 1 << 64
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


_VARINTS: list[bytes] = [_encode_varint_slow(i) for i in range(_VARINT_CACHE_LIMIT)]


def varint(value: int) -> bytes:
    """Encode a non-negative (or int64 negative) integer as a protobuf varint."""
    if 0 <= value < _VARINT_CACHE_LIMIT:
        return _VARINTS[value]
    return _encode_varint_slow(value)


def tag(field: int, wire_type: int) -> bytes:
    """Encode a field key (field number and wire type)."""
    return varint((field << 3) | wire_type)


def len_field(field: int, payload: bytes) -> bytes:
    """Encode a length-delimited field (string, bytes or embedded message)."""
    return tag(field, _WIRE_LEN) + varint(len(payload)) + payload


def varint_field(field: int, value: int) -> bytes:
    """Encode a varint field; proto3 omits zero values, so callers skip zeros themselves."""
    return tag(field, _WIRE_VARINT) + varint(value)


def fixed64_field(field: int, value: int) -> bytes:
    """Encode a fixed64 field (OTLP timestamps)."""
    return tag(field, _WIRE_FIXED64) + struct.pack("<Q", value)


# --- common.proto ---------------------------------------------------------------------------------

AttrValue = str | int | float | bool


def any_value(value: AttrValue) -> bytes:
    """Encode an `AnyValue` holding a scalar."""
    # bool is checked before int because bool is a subclass of int.
    if isinstance(value, bool):
        return varint_field(2, 1) if value else tag(2, _WIRE_VARINT) + b"\x00"
    if isinstance(value, int):
        return tag(3, _WIRE_VARINT) + varint(value)
    if isinstance(value, float):
        return tag(4, _WIRE_FIXED64) + struct.pack("<d", value)
    return len_field(1, value.encode())


def key_value(key: str, value: AttrValue) -> bytes:
    """Encode a `KeyValue` message body (without the enclosing field tag)."""
    return len_field(1, key.encode()) + len_field(2, any_value(value))


def attributes(field: int, attrs: dict[str, AttrValue]) -> bytes:
    """Encode a mapping as repeated `KeyValue` fields numbered `field`."""
    return b"".join(len_field(field, key_value(k, v)) for k, v in attrs.items())


class StringAttr:
    """A string attribute whose key is pre-encoded and whose value is rendered per span."""

    __slots__ = ("_key_part", "_outer_tag", "_template")

    def __init__(self, field: int, key: str, template: str = "") -> None:
        self._outer_tag = tag(field, _WIRE_LEN)
        self._key_part = len_field(1, key.encode())
        self._template = template

    def render(self, ctx: dict[str, object]) -> bytes:
        """Encode the value of the `str.format_map` template over `ctx`."""
        return self.encode(self._template.format_map(ctx))

    def encode(self, value: str) -> bytes:
        """Return the complete repeated-field entry for `value`."""
        raw = value.encode()
        any_part = b"\x0a" + varint(len(raw)) + raw
        kv = self._key_part + b"\x12" + varint(len(any_part)) + any_part
        return self._outer_tag + varint(len(kv)) + kv


class IntAttr:
    """An int attribute whose key is pre-encoded and whose value is taken per span from a context key."""

    __slots__ = ("_ctx_key", "_key_part", "_outer_tag")

    def __init__(self, field: int, key: str, ctx_key: str = "") -> None:
        self._outer_tag = tag(field, _WIRE_LEN)
        self._key_part = len_field(1, key.encode())
        self._ctx_key = ctx_key

    def render(self, ctx: dict[str, object]) -> bytes:
        """Encode `ctx[ctx_key]`, which must be an int."""
        value = ctx[self._ctx_key]
        assert isinstance(value, int)
        return self.encode(value)

    def encode(self, value: int) -> bytes:
        """Return the complete repeated-field entry for `value`."""
        any_part = b"\x18" + varint(value)
        kv = self._key_part + b"\x12" + varint(len(any_part)) + any_part
        return self._outer_tag + varint(len(kv)) + kv


def instrumentation_scope(name: str, version: str) -> bytes:
    """Encode an `InstrumentationScope` message body."""
    return len_field(1, name.encode()) + len_field(2, version.encode())


def resource(attrs: dict[str, AttrValue]) -> bytes:
    """Encode a `Resource` message body."""
    return attributes(1, attrs)


# --- trace.proto ----------------------------------------------------------------------------------

SPAN_TRACE_ID = 1
SPAN_SPAN_ID = 2
SPAN_PARENT_SPAN_ID = 4
SPAN_NAME = 5
SPAN_KIND = 6
SPAN_ATTRIBUTES = 9
SPAN_EVENTS = 11
SPAN_STATUS = 15

STATUS_CODE_ERROR = 2

# Start and end timestamps are adjacent fields 7 and 8; one struct call packs both.
SPAN_TIMES = struct.Struct("<BQBQ")
SPAN_START_TAG = (7 << 3) | _WIRE_FIXED64
SPAN_END_TAG = (8 << 3) | _WIRE_FIXED64

EVENT_TIME = struct.Struct("<BQ")
EVENT_TIME_TAG = (1 << 3) | _WIRE_FIXED64


def event_tail(name: str, attrs: dict[str, AttrValue]) -> bytes:
    """Encode an `Event` body without its leading `time_unix_nano` field (fields 2 and 3)."""
    return len_field(2, name.encode()) + attributes(3, attrs)


def status(code: int, message: str) -> bytes:
    """Encode the span `status` field (field 15) including its tag."""
    body = (len_field(2, message.encode()) if message else b"") + (varint_field(3, code) if code else b"")
    return len_field(SPAN_STATUS, body)


def scope_spans(scope: bytes, spans: list[bytes]) -> bytes:
    """Encode a `ScopeSpans` body from a scope body and already-tagged span entries (field 2)."""
    return len_field(1, scope) + b"".join(spans)


def span_entry(span: bytes) -> bytes:
    """Tag a span body as a `ScopeSpans.spans` entry (field 2)."""
    return b"\x12" + varint(len(span)) + span
