"""The response models, field by field, as the Jaeger and Zipkin sources define them.

A shape is a Python type, a tuple of types (any of them), ``[shape]`` (a list of it), ``{key:
shape}`` (an object with exactly those keys; a key written ``"name?"`` may be absent) or ``MAP``
with a value shape (an object with any keys). ``check`` reports the first field that differs.

Jaeger: jaeger's ``internal/uimodel/model.go`` (Trace, Span, Reference, Process, Log, KeyValue,
DependencyLink; ``omitempty`` fields optional) and the query handler's structuredResponse and
structuredError. Zipkin: zipkin2's OpenAPI definition of Span, Endpoint, Annotation and
DependencyLink (empty fields left out).
"""

from __future__ import annotations

from typing import Any


class MapOf:
    """An object with any keys whose values have one shape."""

    def __init__(self, value: Any) -> None:
        self.value = value


NULL = type(None)
KEY_VALUE = {"key": str, "type": str, "value": (str, int, float, bool)}
JAEGER_SPAN = {
    "traceID": str,
    "spanID": str,
    "flags?": int,
    "operationName": str,
    "references": [{"refType": str, "traceID": str, "spanID": str}],
    "startTime": int,
    "duration": int,
    "tags": [KEY_VALUE],
    "logs": [{"timestamp": int, "fields": [KEY_VALUE]}],
    "processID": str,
    "warnings": ([str], NULL),
}
JAEGER_TRACE = {
    "traceID": str,
    "spans": [JAEGER_SPAN],
    "processes": MapOf({"serviceName": str, "tags": [KEY_VALUE]}),
    "warnings": ([str], NULL),
}
JAEGER_ERROR = {"code?": int, "msg": str, "traceID?": str}


def jaeger_envelope(data: Any) -> dict[str, Any]:
    """jaeger-query's structuredResponse around ``data``."""
    return {"data": data, "total": int, "limit": int, "offset": int, "errors": ([JAEGER_ERROR], NULL)}


JAEGER_DEPENDENCY = {"parent": str, "child": str, "callCount": int}
JAEGER_OPERATION = {"name": str, "spanKind": str}

ZIPKIN_ENDPOINT = {"serviceName?": str, "ipv4?": str, "ipv6?": str, "port?": int}
ZIPKIN_SPAN = {
    "traceId": str,
    "parentId?": str,
    "id": str,
    "kind?": str,
    "name?": str,
    "timestamp?": int,
    "duration?": int,
    "debug?": bool,
    "shared?": bool,
    "localEndpoint?": ZIPKIN_ENDPOINT,
    "remoteEndpoint?": ZIPKIN_ENDPOINT,
    "annotations?": [{"timestamp": int, "value": str}],
    "tags?": MapOf(str),
}
ZIPKIN_DEPENDENCY = {"parent": str, "child": str, "callCount": int, "errorCount?": int}

V3_ERROR = {"error": {"httpCode": int, "message": str}}


def check(value: Any, shape: Any, where: str = "$") -> None:
    """Raise AssertionError naming the first field of ``value`` that does not fit ``shape``."""
    if isinstance(shape, MapOf):
        assert isinstance(value, dict), f"{where}: expected an object, got {value!r}"
        for k, v in value.items():
            check(v, shape.value, f"{where}.{k}")
        return
    if isinstance(shape, dict):
        assert isinstance(value, dict), f"{where}: expected an object, got {value!r}"
        required = {k for k in shape if not k.endswith("?")}
        allowed = {k.rstrip("?") for k in shape}
        assert required <= set(value), f"{where}: missing {sorted(required - set(value))}"
        assert set(value) <= allowed, f"{where}: unexpected {sorted(set(value) - allowed)}"
        for k, sub in shape.items():
            if k.rstrip("?") in value:
                check(value[k.rstrip("?")], sub, f"{where}.{k.rstrip('?')}")
        return
    if isinstance(shape, list):
        assert isinstance(value, list), f"{where}: expected a list, got {value!r}"
        for i, item in enumerate(value):
            check(item, shape[0], f"{where}[{i}]")
        return
    if isinstance(shape, tuple):
        errors = []
        for option in shape:
            try:
                check(value, option, where)
                return
            except AssertionError as e:
                errors.append(str(e))
        raise AssertionError(" / ".join(errors))
    if shape is int:
        assert isinstance(value, int) and not isinstance(value, bool), f"{where}: expected int, got {value!r}"
        return
    if shape is float:
        assert isinstance(value, float | int) and not isinstance(value, bool), f"{where}: expected a number"
        return
    assert isinstance(value, shape), f"{where}: expected {shape.__name__}, got {value!r}"
