"""A metrics request: Tempo's parameters, its default step, its step alignment and its intervals.

Times are Unix nanoseconds. A range query's intervals are right-closed, ``(start + i*step,
start + (i+1)*step]``, and sample ``i`` is stamped with its interval's end, as Tempo's
``IntervalMapperQueryRange`` does; before bucketing, the range is aligned as Tempo's
``AlignRequest``: start rounded down and end rounded up to a multiple of the step, then one more
step added in front. An instant query is one interval ``[start, end]`` (both ends included),
stamped with ``end``, with step ``end - start`` (so `rate()` divides by the whole range).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from tempo_py.traceql import ast

SECOND = 1_000_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DEFAULT_SINCE = HOUR  # Tempo's default range when start is absent: the hour before end

Ints = np.ndarray[Any, np.dtype[np.int64]]


class MetricsBadRequest(ValueError):
    """A parameter a person must fix (HTTP 400)."""


@dataclass(frozen=True)
class MetricsRequest:
    """A parsed and aligned metrics request."""

    root: ast.RootExpr
    text: str
    start_ns: int
    end_ns: int
    step_ns: int
    instant: bool
    exemplars: int = 0

    @property
    def intervals(self) -> int:
        """Number of samples each series has room for."""
        if self.instant:
            return 1
        return (self.end_ns - self.start_ns) // self.step_ns

    def interval_of(self, ts: Ints) -> Ints:
        """Interval of each span start time (int64 ns), -1 outside the range. Vectorised."""
        ts = np.asarray(ts, dtype=np.int64)
        if self.instant:
            inside = (ts >= self.start_ns) & (ts <= self.end_ns)
            return np.where(inside, 0, -1).astype(np.int64)
        offset = ts - self.start_ns
        inside = (ts > self.start_ns) & (ts <= self.end_ns)
        # right-closed: a time exactly on a boundary belongs to the interval it ends
        interval = (offset - 1) // self.step_ns
        return np.where(inside, interval, -1).astype(np.int64)

    def timestamp_ms(self, interval: int) -> int:
        """Sample timestamp (ms) of an interval: its end."""
        if self.instant:
            return self.end_ns // 1_000_000
        return (self.start_ns + (interval + 1) * self.step_ns) // 1_000_000


def default_step(start_ns: int, end_ns: int) -> int:
    """Tempo's step when none is given: about 240 points, rounded down to a round granularity."""
    delta = end_ns - start_ns
    baseline = delta // 240
    if delta < MINUTE:
        g = 50_000_000
        return baseline // g * g if baseline > g else g
    for g in (HOUR, 5 * MINUTE, MINUTE, 15 * SECOND, 5 * SECOND, SECOND):
        if baseline > g:
            return baseline // g * g
    return SECOND


def align(start_ns: int, end_ns: int, step_ns: int) -> tuple[int, int]:
    """Tempo's AlignRequest for a range query: start down and end up to the step, then one step
    earlier at the front."""
    start = start_ns - start_ns % step_ns
    mod = end_ns % step_ns
    end = end_ns if mod == 0 else end_ns + (step_ns - mod)
    if start > step_ns:
        start -= step_ns
    return start, end


def parse_timestamp(value: str, default: int) -> int:
    """Tempo's timestamps: Unix seconds (≤ 10 digits), Unix nanoseconds, fractional seconds (ms
    precision), or RFC 3339."""
    if value == "":
        return default
    if "." in value:
        try:
            seconds = float(value)
        except ValueError:
            pass
        else:
            if not math.isfinite(seconds):
                raise MetricsBadRequest(f"invalid timestamp {value!r}")
            whole = math.floor(seconds)
            frac = round((seconds - whole) * 1000) / 1000
            return int(whole) * SECOND + int(frac * SECOND)
    if re.fullmatch(r"[+-]?\d+", value):
        number = int(value)
        return number * SECOND if len(value) <= 10 else number
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as e:
        raise MetricsBadRequest(
            f"invalid timestamp {value!r}: not Unix seconds, nanoseconds or RFC 3339"
        ) from e
    if parsed.tzinfo is None:
        raise MetricsBadRequest(f"invalid timestamp {value!r}: RFC 3339 needs a time zone")
    return int(parsed.timestamp()) * SECOND + parsed.microsecond * 1000


_PROM_DURATION = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_PROM_UNITS = {"ms": 10**6, "s": SECOND, "m": MINUTE, "h": HOUR, "d": 24 * HOUR, "w": 7 * 24 * HOUR}
_PROM_UNITS["y"] = 365 * 24 * HOUR
_GO_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_GO_UNITS = {"ns": 1, "us": 1000, "µs": 1000, "μs": 1000, "ms": 10**6, "s": SECOND, "m": MINUTE, "h": HOUR}


def parse_prom_duration(value: str) -> int:
    """A Prometheus duration (``since``): ``1h``, ``30m``, ``1h30m``, ``2d``."""
    pos, total = 0, 0
    for m in _PROM_DURATION.finditer(value):
        if m.start() != pos:
            break
        total += int(m.group(1)) * _PROM_UNITS[m.group(2)]
        pos = m.end()
    if pos != len(value) or not value:
        raise MetricsBadRequest(f"could not parse 'since' parameter: not a valid duration string: {value!r}")
    return total


def parse_step(value: str) -> int:
    """``step``: seconds (fractional allowed) or a Go duration (``30s``, ``1m30s``, ``500ms``)."""
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        if not math.isfinite(seconds) or abs(seconds * SECOND) > 2**63 - 1:
            raise MetricsBadRequest(f"cannot parse {value!r} to a valid duration. It overflows int64")
        if seconds < 0:
            raise MetricsBadRequest(f"cannot parse {value!r}: step must be positive")
        return int(seconds * SECOND)
    pos, total = 0, 0.0
    for m in _GO_DURATION.finditer(value):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _GO_UNITS[m.group(2)]
        pos = m.end()
    if pos != len(value) or not value:
        raise MetricsBadRequest(f"cannot parse {value!r} to a valid duration")
    return int(total)


def bounds(params: Mapping[str, str], now_ns: int | None = None) -> tuple[int, int]:
    """``start``/``end``/``since`` as Tempo reads them: end defaults to now, start to ``since``
    (default 1h) before the earlier of end and now."""
    now = time.time_ns() if now_ns is None else now_ns
    since = DEFAULT_SINCE
    if params.get("since"):
        since = parse_prom_duration(params["since"])
    end = parse_timestamp(params.get("end", ""), now)
    start = parse_timestamp(params.get("start", ""), min(end, now) - since)
    return start, end


def query_text(params: Mapping[str, str]) -> str:
    """The TraceQL text: ``q`` wins over ``query`` (Prometheus's name, which Grafana also sends)."""
    return params.get("q") or params.get("query") or ""


def nonnegative_int(params: Mapping[str, str], name: str) -> int:
    """An optional unsigned integer parameter; anything unparsable counts as absent, as in Tempo."""
    raw = params.get(name, "")
    return int(raw) if raw.isdigit() else 0
