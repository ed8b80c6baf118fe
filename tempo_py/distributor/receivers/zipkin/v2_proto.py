"""Zipkin v2 protobuf (``zipkin.proto3.ListOfSpans``, application/x-protobuf) → :class:`ZipkinSpan`.

The message descriptors are our own description of zipkin-api's ``zipkin.proto`` wire format
(same package, names and field numbers), built at runtime in a private descriptor pool.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError as ProtoDecodeError

from tempo_py.distributor.receivers.errors import DecodeError
from tempo_py.distributor.receivers.zipkin.model import Endpoint, ZipkinSpan, ip_text

_F = descriptor_pb2.FieldDescriptorProto
_PACKAGE = "zipkin.proto3"
_KINDS = {1: "CLIENT", 2: "SERVER", 3: "PRODUCER", 4: "CONSUMER"}


def _field(name: str, number: int, ftype: int, type_name: str = "", *, repeated: bool = False) -> Any:
    f = _F(
        name=name,
        number=number,
        type=ftype,
        label=_F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL,
    )
    if type_name:
        f.type_name = f".{_PACKAGE}.{type_name}"
    return f


def _file() -> descriptor_pb2.FileDescriptorProto:
    tags_entry = descriptor_pb2.DescriptorProto(
        name="TagsEntry",
        field=[_field("key", 1, _F.TYPE_STRING), _field("value", 2, _F.TYPE_STRING)],
        options=descriptor_pb2.MessageOptions(map_entry=True),
    )
    kind = descriptor_pb2.EnumDescriptorProto(
        name="Kind",
        value=[
            descriptor_pb2.EnumValueDescriptorProto(name=n, number=i)
            for i, n in enumerate(("SPAN_KIND_UNSPECIFIED", "CLIENT", "SERVER", "PRODUCER", "CONSUMER"))
        ],
    )
    span = descriptor_pb2.DescriptorProto(
        name="Span",
        field=[
            _field("trace_id", 1, _F.TYPE_BYTES),
            _field("parent_id", 2, _F.TYPE_BYTES),
            _field("id", 3, _F.TYPE_BYTES),
            _field("kind", 4, _F.TYPE_ENUM, "Span.Kind"),
            _field("name", 5, _F.TYPE_STRING),
            _field("timestamp", 6, _F.TYPE_FIXED64),
            _field("duration", 7, _F.TYPE_UINT64),
            _field("local_endpoint", 8, _F.TYPE_MESSAGE, "Endpoint"),
            _field("remote_endpoint", 9, _F.TYPE_MESSAGE, "Endpoint"),
            _field("annotations", 10, _F.TYPE_MESSAGE, "Annotation", repeated=True),
            _field("tags", 11, _F.TYPE_MESSAGE, "Span.TagsEntry", repeated=True),
            _field("debug", 12, _F.TYPE_BOOL),
            _field("shared", 13, _F.TYPE_BOOL),
        ],
        nested_type=[tags_entry],
        enum_type=[kind],
    )
    return descriptor_pb2.FileDescriptorProto(
        name="tempo_py/zipkin_proto3.proto",
        package=_PACKAGE,
        syntax="proto3",
        message_type=[
            span,
            descriptor_pb2.DescriptorProto(
                name="Endpoint",
                field=[
                    _field("service_name", 1, _F.TYPE_STRING),
                    _field("ipv4", 2, _F.TYPE_BYTES),
                    _field("ipv6", 3, _F.TYPE_BYTES),
                    _field("port", 4, _F.TYPE_INT32),
                ],
            ),
            descriptor_pb2.DescriptorProto(
                name="Annotation",
                field=[_field("timestamp", 1, _F.TYPE_FIXED64), _field("value", 2, _F.TYPE_STRING)],
            ),
            descriptor_pb2.DescriptorProto(
                name="ListOfSpans", field=[_field("spans", 1, _F.TYPE_MESSAGE, "Span", repeated=True)]
            ),
        ],
    )


_pool = descriptor_pool.DescriptorPool()
_pool.Add(_file())
ListOfSpans: Any = message_factory.GetMessageClass(_pool.FindMessageTypeByName(f"{_PACKAGE}.ListOfSpans"))


def _endpoint(msg: Any, present: bool) -> Endpoint | None:
    if not present:
        return None
    return Endpoint(
        service_name=msg.service_name,
        ipv4=ip_text(msg.ipv4, 4),
        ipv6=ip_text(msg.ipv6, 6),
        port=msg.port if 0 < msg.port < 65536 else 0,
    )


def _id(raw: bytes, size: int, what: str, *, required: bool = True) -> bytes:
    # The proto carries IDs as 8 or 16 raw bytes; a 64-bit trace ID is left-padded.
    if len(raw) > size or (required and not any(raw)):
        raise DecodeError(f"{what} must be 1..{size} bytes and not all zero", "invalid_span")
    return raw.rjust(size, b"\0") if raw else b""


def decode_v2_proto(body: bytes) -> list[ZipkinSpan]:
    """All spans of a ListOfSpans body."""
    try:
        spans = ListOfSpans.FromString(body).spans
    except (ProtoDecodeError, ValueError) as exc:
        raise DecodeError(f"bad zipkin ListOfSpans protobuf: {exc}") from exc
    out = []
    for s in spans:
        out.append(
            ZipkinSpan(
                trace_id=_id(s.trace_id, 16, "trace_id"),
                id=_id(s.id, 8, "id"),
                parent_id=_id(s.parent_id, 8, "parent_id", required=False),
                name=s.name,
                kind=_KINDS.get(s.kind, ""),
                timestamp_us=s.timestamp,
                duration_us=s.duration,
                local=_endpoint(s.local_endpoint, s.HasField("local_endpoint")),
                remote=_endpoint(s.remote_endpoint, s.HasField("remote_endpoint")),
                annotations=[(a.timestamp, a.value) for a in s.annotations],
                tags=dict(s.tags),
                debug=s.debug,
                shared=s.shared,
            )
        )
    return out
