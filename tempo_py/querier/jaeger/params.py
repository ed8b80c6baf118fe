"""jaeger-query's request parameters: trace IDs, µs/ms times, Go durations, ``tag``/``tags`` filters."""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Mapping
from datetime import datetime

from multidict import MultiMapping

from tempo_py.querier.catalog.backend import ApiError
from tempo_py.traceql.durations import parse_duration

__all__ = ["ApiError", "parse_duration"]

DEFAULT_LIMIT = 100  # jaeger-query's default for /api/traces
TRACE_LOOKBACK_NS = 2 * 24 * 3600 * 10**9  # start defaults to end minus two days, as jaeger-query
DEPENDENCY_LOOKBACK_MS = 24 * 3600 * 1000
_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$", re.IGNORECASE)


def parse_error(name: str, detail: str) -> ApiError:
    """jaeger-query's wording for a parameter it cannot parse."""
    return ApiError(400, f"unable to parse param '{name}': {detail}")


def trace_id(text: str) -> bytes:
    """A trace ID: up to 32 hex digits, or (as api_v3 also takes) base64 of 16 bytes."""
    if 0 < len(text) <= 32 and all(c in "0123456789abcdefABCDEF" for c in text):
        raw = bytes.fromhex(text.rjust(32, "0"))
        if any(raw):
            return raw
    if len(text) <= 24:
        try:
            raw = base64.b64decode(
                text + "=" * (-len(text) % 4), altchars=b"-_" if "-" in text or "_" in text else None
            )
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) == 16 and any(raw):
            return raw
    raise ApiError(400, f"cannot parse traceID param: invalid trace ID {text!r}")


def epoch(query: Mapping[str, str], name: str, unit_ns: int) -> int | None:
    """An integer count of ``unit_ns`` since the epoch, in ns; None when absent."""
    raw = query.get(name, "")
    if raw == "":
        return None
    try:
        return int(raw) * unit_ns
    except ValueError as e:
        raise parse_error(name, f"strconv.ParseInt: parsing {raw!r}: invalid syntax") from e


def go_duration(query: Mapping[str, str], name: str) -> int | None:
    """A Go duration (``1.5s``, ``300ms``) in ns; None when absent."""
    raw = query.get(name, "")
    if raw == "":
        return None
    nanos = parse_duration(raw)
    if nanos is None:
        raise parse_error(name, f"time: invalid duration {raw!r}")
    return nanos


def millis(query: Mapping[str, str], name: str, default: int) -> int:
    """An integer number of milliseconds."""
    raw = query.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError as e:
        raise parse_error(name, f"strconv.ParseInt: parsing {raw!r}: invalid syntax") from e


def rfc3339(text: str, name: str) -> int:
    """An RFC 3339 timestamp (nanosecond fractions allowed) in ns since the epoch."""
    m = _RFC3339.match(text.strip())
    if m is None:
        raise ApiError(400, f"malformed parameter {name}: cannot parse {text!r} as RFC 3339")
    base, frac, zone = m.groups()
    try:
        when = datetime.fromisoformat(base + ("+00:00" if zone.upper() == "Z" else zone))
    except ValueError as e:
        raise ApiError(400, f"malformed parameter {name}: {e}") from e
    return int(when.timestamp()) * 10**9 + int((frac or "0").ljust(9, "0"))


def tags(query: MultiMapping[str]) -> dict[str, str]:
    """``tag=key:value`` (repeated) and ``tags={"key": "value"}`` (JSON, repeated), merged."""
    out: dict[str, str] = {}
    for item in query.getall("tag", []):
        key, sep, value = item.partition(":")
        if not sep:
            raise ApiError(400, f"malformed 'tag' parameter, expecting key:value, received: {item}")
        out[key] = value
    for text in query.getall("tags", []):
        try:
            doc = json.loads(text)
        except ValueError as e:
            raise ApiError(400, f"malformed 'tags' parameter, cannot unmarshal JSON: {e}") from e
        if not isinstance(doc, dict) or not all(isinstance(v, str) for v in doc.values()):
            raise ApiError(
                400, "malformed 'tags' parameter, cannot unmarshal JSON: expected an object of strings"
            )
        out.update(doc)
    return out


def now_ns() -> int:
    """The current time in ns (a function so that tests can see what "now" was)."""
    return time.time_ns()
