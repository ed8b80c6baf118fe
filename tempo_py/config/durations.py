"""Go-style duration strings ("5s", "1h30m", "100ms") for config values.

Tempo's YAML holds Go ``time.Duration`` values, so a Tempo user's config says ``trace_idle_period: 10s``
and ``block_retention: 336h``. We accept exactly Go's ``time.ParseDuration`` grammar (and nothing
looser, such as "2d" or "5 minutes") so the same file means the same thing to both programs.
Values are returned as float seconds because that is what asyncio and ``time`` want.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

__all__ = ["DurationError", "format_duration", "parse_duration"]


class DurationError(ValueError):
    """A string is not a valid Go-style duration."""


# Seconds per unit, as Decimals so "0.1s" + "100ms" sums exactly before the final float().
_UNITS: dict[str, Decimal] = {
    "ns": Decimal("1e-9"),
    "us": Decimal("1e-6"),
    "\u00b5s": Decimal("1e-6"),  # micro sign, as Go accepts
    "\u03bcs": Decimal("1e-6"),  # Greek small mu, as Go accepts
    "ms": Decimal("1e-3"),
    "s": Decimal(1),
    "m": Decimal(60),
    "h": Decimal(3600),
}

# One "<number><unit>" component; the unit group is permissive so a bad unit gets its own message.
_COMPONENT = re.compile(r"(\d+\.?\d*|\.\d+)([^\d.]*)")

_UNIT_HINT = 'valid units are "ns", "us" (or "µs"), "ms", "s", "m", "h"'


def parse_duration(text: str) -> float:
    """Parse a Go ``time.ParseDuration`` string into float seconds.

    Accepts an optional sign followed by one or more ``<decimal><unit>`` components, e.g. ``"300ms"``,
    ``"-1.5h"``, ``"1h30m"``; the bare string ``"0"`` is zero. Raises :class:`DurationError` for
    anything else (missing units, days, spaces) with a message saying what is wrong.
    """
    original = text
    if not isinstance(text, str):
        raise DurationError(f'invalid duration {original!r}: expected a string such as "30s"')
    sign = Decimal(1)
    if text[:1] in ("+", "-"):
        sign = Decimal(-1) if text[0] == "-" else Decimal(1)
        text = text[1:]
    if text == "0":
        return 0.0
    if not text:
        raise DurationError(f'invalid duration "{original}"')
    total = Decimal(0)
    pos = 0
    while pos < len(text):
        match = _COMPONENT.match(text, pos)
        if match is None:
            raise DurationError(f'invalid duration "{original}"')
        number, unit = match.group(1), match.group(2)
        if not unit:
            raise DurationError(f'invalid duration "{original}": missing unit ({_UNIT_HINT})')
        if unit not in _UNITS:
            raise DurationError(f'invalid duration "{original}": unknown unit "{unit}" ({_UNIT_HINT})')
        try:
            total += Decimal(number) * _UNITS[unit]
        except InvalidOperation as exc:  # pragma: no cover - the regex only admits decimals
            raise DurationError(f'invalid duration "{original}"') from exc
        pos = match.end()
    return float(sign * total)


def _trim(value: Decimal) -> str:
    """Render a Decimal without exponent or trailing zeros ("1.50" -> "1.5", "2.0" -> "2")."""
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_duration(seconds: float) -> str:
    """Render float seconds as the shortest readable Go duration, e.g. ``5400.0 -> "1h30m"``.

    The output always round-trips through :func:`parse_duration` (to nanosecond precision);
    zero renders as ``"0s"``.
    """
    value = Decimal(repr(float(seconds))).quantize(Decimal("1e-9"))
    if value == 0:
        return "0s"
    sign = "-" if value < 0 else ""
    value = abs(value)
    if value < 1:
        for unit, scale in (("ms", Decimal("1e-3")), ("us", Decimal("1e-6")), ("ns", Decimal("1e-9"))):
            if value >= scale:
                return f"{sign}{_trim(value / scale)}{unit}"
    hours, rest = divmod(value, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{_trim(hours)}h")
    if minutes:
        parts.append(f"{_trim(minutes)}m")
    if secs:
        parts.append(f"{_trim(secs)}s")
    return sign + "".join(parts)
