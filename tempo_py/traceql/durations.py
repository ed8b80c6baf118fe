"""TraceQL duration literals: parsing `1h30m`, `1.5s`, `250µs`, `1d` and printing them back.

Tempo accepts both Prometheus durations (`1d`, `2w`, `1y`, ordered integer parts) and Go durations
(`1.5h`, `300ms`, `2us`/`2µs`, `10ns`); the accepted language here is the union of the two. Values are
integer nanoseconds so comparisons and equality are exact.
"""

from __future__ import annotations

import re
from fractions import Fraction

NANOS_PER_UNIT: dict[str, int] = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,  # U+00B5 micro sign
    "μs": 1_000,  # U+03BC greek mu; Go accepts both
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3600 * 1_000_000_000,
    "d": 24 * 3600 * 1_000_000_000,
    "w": 7 * 24 * 3600 * 1_000_000_000,
    "y": 365 * 24 * 3600 * 1_000_000_000,
}

MAX_DURATION_NANOS = 2**63 - 1

# Longer unit spellings first so "ms" is not read as "m" followed by junk.
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d|w|y)")

# Characters that may continue a number into a duration literal (digits, '.', unit letters).
DURATION_CHARS = frozenset("0123456789.nsumhdwyµμ")

# Units used when printing, largest first; each value prints as a sum of these.
_PRINT_UNITS = (("h", 3600 * 10**9), ("m", 60 * 10**9), ("s", 10**9), ("ms", 10**6), ("us", 10**3), ("ns", 1))


def parse_duration(text: str) -> int | None:
    """Return ``text`` as nanoseconds, or None when it is not a duration literal (or overflows)."""
    pos = 0
    total = Fraction(0)
    while pos < len(text):
        match = _PART.match(text, pos)
        if match is None:
            return None
        total += Fraction(match.group(1)) * NANOS_PER_UNIT[match.group(2)]
        pos = match.end()
    if pos == 0:
        return None
    nanos = int(total)  # truncates sub-nanosecond fractions, like Go
    return nanos if nanos <= MAX_DURATION_NANOS else None


def format_duration(nanos: int) -> str:
    """Print ``nanos`` as a duration literal that parses back to the same value (`1h30m`, `1s500ms`)."""
    if nanos == 0:
        return "0s"
    sign = "-" if nanos < 0 else ""
    rest = abs(nanos)
    parts: list[str] = []
    for unit, size in _PRINT_UNITS:
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return sign + "".join(parts)
