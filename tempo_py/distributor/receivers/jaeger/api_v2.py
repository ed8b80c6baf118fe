"""Jaeger ``jaeger.api_v2`` protobuf messages (model.proto + collector.proto), built at runtime.

We describe the wire format ourselves (same package, message names, field numbers and types as
Jaeger's IDL, without its gogoproto options) with ``descriptor_pb2`` in a private descriptor pool,
so no generated code has to match the installed protobuf runtime and nothing collides with other
modules registering the same names in the default pool.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, duration_pb2, message_factory, timestamp_pb2

_F = descriptor_pb2.FieldDescriptorProto
PACKAGE = "jaeger.api_v2"
SERVICE = f"{PACKAGE}.CollectorService"
POST_SPANS_METHOD = f"/{SERVICE}/PostSpans"


def _field(
    name: str, number: int, ftype: int, *, type_name: str = "", repeated: bool = False
) -> descriptor_pb2.FieldDescriptorProto:
    field = _F(
        name=name,
        number=number,
        type=ftype,
        label=_F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL,
    )
    if type_name:
        field.type_name = type_name
    return field


def _message(name: str, *fields: descriptor_pb2.FieldDescriptorProto) -> descriptor_pb2.DescriptorProto:
    return descriptor_pb2.DescriptorProto(name=name, field=list(fields))


def _enum(name: str, *values: str) -> descriptor_pb2.EnumDescriptorProto:
    return descriptor_pb2.EnumDescriptorProto(
        name=name,
        value=[descriptor_pb2.EnumValueDescriptorProto(name=v, number=i) for i, v in enumerate(values)],
    )


def _file() -> descriptor_pb2.FileDescriptorProto:
    p = f".{PACKAGE}."
    ts, dur = ".google.protobuf.Timestamp", ".google.protobuf.Duration"
    msg, enum = _F.TYPE_MESSAGE, _F.TYPE_ENUM
    return descriptor_pb2.FileDescriptorProto(
        name="tempo_py/jaeger_api_v2.proto",
        package=PACKAGE,
        syntax="proto3",
        dependency=["google/protobuf/timestamp.proto", "google/protobuf/duration.proto"],
        enum_type=[
            _enum("ValueType", "STRING", "BOOL", "INT64", "FLOAT64", "BINARY"),
            _enum("SpanRefType", "CHILD_OF", "FOLLOWS_FROM"),
        ],
        message_type=[
            _message(
                "KeyValue",
                _field("key", 1, _F.TYPE_STRING),
                _field("v_type", 2, enum, type_name=p + "ValueType"),
                _field("v_str", 3, _F.TYPE_STRING),
                _field("v_bool", 4, _F.TYPE_BOOL),
                _field("v_int64", 5, _F.TYPE_INT64),
                _field("v_float64", 6, _F.TYPE_DOUBLE),
                _field("v_binary", 7, _F.TYPE_BYTES),
            ),
            _message(
                "Log",
                _field("timestamp", 1, msg, type_name=ts),
                _field("fields", 2, msg, type_name=p + "KeyValue", repeated=True),
            ),
            _message(
                "SpanRef",
                _field("trace_id", 1, _F.TYPE_BYTES),
                _field("span_id", 2, _F.TYPE_BYTES),
                _field("ref_type", 3, enum, type_name=p + "SpanRefType"),
            ),
            _message(
                "Process",
                _field("service_name", 1, _F.TYPE_STRING),
                _field("tags", 2, msg, type_name=p + "KeyValue", repeated=True),
            ),
            _message(
                "Span",
                _field("trace_id", 1, _F.TYPE_BYTES),
                _field("span_id", 2, _F.TYPE_BYTES),
                _field("operation_name", 3, _F.TYPE_STRING),
                _field("references", 4, msg, type_name=p + "SpanRef", repeated=True),
                _field("flags", 5, _F.TYPE_UINT32),
                _field("start_time", 6, msg, type_name=ts),
                _field("duration", 7, msg, type_name=dur),
                _field("tags", 8, msg, type_name=p + "KeyValue", repeated=True),
                _field("logs", 9, msg, type_name=p + "Log", repeated=True),
                _field("process", 10, msg, type_name=p + "Process"),
                _field("process_id", 11, _F.TYPE_STRING),
                _field("warnings", 12, _F.TYPE_STRING, repeated=True),
            ),
            _message(
                "Batch",
                _field("spans", 1, msg, type_name=p + "Span", repeated=True),
                _field("process", 2, msg, type_name=p + "Process"),
            ),
            _message("PostSpansRequest", _field("batch", 1, msg, type_name=p + "Batch")),
            _message("PostSpansResponse"),
        ],
    )


def _build() -> dict[str, Any]:
    pool = descriptor_pool.DescriptorPool()
    for dep in (timestamp_pb2, duration_pb2):
        pool.Add(descriptor_pb2.FileDescriptorProto.FromString(dep.DESCRIPTOR.serialized_pb))
    pool.Add(_file())
    names = (
        "KeyValue",
        "Log",
        "SpanRef",
        "Process",
        "Span",
        "Batch",
        "PostSpansRequest",
        "PostSpansResponse",
    )
    return {n: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{PACKAGE}.{n}")) for n in names}


_CLASSES = _build()
KeyValue: Any = _CLASSES["KeyValue"]
Log: Any = _CLASSES["Log"]
SpanRef: Any = _CLASSES["SpanRef"]
Process: Any = _CLASSES["Process"]
Span: Any = _CLASSES["Span"]
Batch: Any = _CLASSES["Batch"]
PostSpansRequest: Any = _CLASSES["PostSpansRequest"]
PostSpansResponse: Any = _CLASSES["PostSpansResponse"]

# ValueType / SpanRefType enum numbers.
STRING, BOOL, INT64, FLOAT64, BINARY = range(5)
CHILD_OF, FOLLOWS_FROM = 0, 1
