"""Python values -> OTLP AnyValue / KeyValue (receivers' mappings and test factories share these)."""

from __future__ import annotations

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList


def any_value(value: object) -> AnyValue:
    """AnyValue keeping the Python type: bool (before int), int, float, str, bytes; lists become
    arrays, dicts key-value lists, None an empty value."""
    if value is None:
        return AnyValue()
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, str):
        return AnyValue(string_value=value)
    if isinstance(value, bytes):
        return AnyValue(bytes_value=value)
    if isinstance(value, list | tuple):
        return AnyValue(array_value=ArrayValue(values=[any_value(v) for v in value]))
    if isinstance(value, dict):
        return AnyValue(kvlist_value=KeyValueList(values=[kv(k, v) for k, v in value.items()]))
    raise TypeError(f"unsupported attribute value {value!r}")


def kv(key: str, value: object) -> KeyValue:
    """A KeyValue from a Python value (see :func:`any_value`)."""
    return KeyValue(key=key, value=any_value(value))
