"""Typed column values and the TraceQL operators over them.

An attribute can hold a string on one span and an int on the next, so a value is not one Arrow
array but a :class:`Value`: one array (or scalar) per type tag, null where the row has no value of
that type. Operators combine only compatible tags (numbers with numbers, strings with strings...),
which gives TraceQL's rule that mismatched types never match, and a missing attribute makes every
comparison false (also `!=`), as in Tempo.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tempo_py.traceql.enums import KIND_VALUES, Op, StaticType
from tempo_py.traceql.regex import compile_regex

# Type tags. Status and kind hold OTLP integer codes; dur holds int64 nanoseconds.
STR: Final = "str"
INT: Final = "int"
FLOAT: Final = "float"
BOOL: Final = "bool"
DUR: Final = "dur"
STATUS: Final = "status"
KIND: Final = "kind"
NUMERIC: Final = (INT, FLOAT, DUR)

# OTLP status codes: 0 unset, 1 ok, 2 error.
STATUS_CODES: Final = {"unset": 0, "ok": 1, "error": 2}
KIND_CODES: Final = {word: code for code, word in enumerate(KIND_VALUES)}

Column: TypeAlias = Any  # a pyarrow Array or Scalar (pyarrow ships no type hints)
Mask: TypeAlias = np.ndarray[Any, np.dtype[np.bool_]]


@dataclass(frozen=True)
class Value:
    """Per-row values of an expression, one array (or broadcast scalar) per type tag."""

    parts: dict[str, Column]

    def present(self, n: int) -> Mask:
        """Rows that have a value of any type."""
        out = np.zeros(n, dtype=bool)
        for part in self.parts.values():
            out |= _valid(part, n)
        return out


EMPTY = Value({})


def _valid(part: Column, n: int) -> Mask:
    if isinstance(part, pa.Scalar):
        return np.full(n, part.is_valid, dtype=bool)
    return np.asarray(pc.is_valid(part).to_numpy(zero_copy_only=False), dtype=bool)


def static_value(static_type: StaticType, value: object) -> Value:
    """The Value of a literal, as broadcast scalars."""
    match static_type:
        case StaticType.STRING:
            return Value({STR: pa.scalar(value, pa.string())})
        case StaticType.INT:
            return Value({INT: pa.scalar(value, pa.int64())})
        case StaticType.FLOAT:
            return Value({FLOAT: pa.scalar(value, pa.float64())})
        case StaticType.BOOL:
            return Value({BOOL: pa.scalar(value, pa.bool_())})
        case StaticType.DURATION:
            return Value({DUR: pa.scalar(value, pa.int64())})
        case StaticType.STATUS:
            return Value({STATUS: pa.scalar(STATUS_CODES[str(value)], pa.int8())})
        case StaticType.KIND:
            return Value({KIND: pa.scalar(KIND_CODES[str(value)], pa.int8())})
    return EMPTY  # nil


def truthy(value: Value, n: int) -> Mask:
    """Rows where the value is boolean true (anything else, missing included, is false)."""
    part = value.parts.get(BOOL)
    if part is None:
        return np.zeros(n, dtype=bool)
    if isinstance(part, pa.Scalar):
        return np.full(n, bool(part.as_py()), dtype=bool)
    return np.asarray(pc.fill_null(part, False).to_numpy(zero_copy_only=False), dtype=bool)


def bool_value(mask: Mask) -> Value:
    """A boolean Value from a numpy mask."""
    return Value({BOOL: pa.array(mask, pa.bool_())})


_CMP = {
    Op.EQ: pc.equal,
    Op.NEQ: pc.not_equal,
    Op.GT: pc.greater,
    Op.GTE: pc.greater_equal,
    Op.LT: pc.less,
    Op.LTE: pc.less_equal,
}


def compare(op: Op, lhs: Value, rhs: Value, n: int) -> Value:
    """``lhs op rhs`` for comparisons, regex and nil checks; false where types do not meet."""
    if op in (Op.REGEX, Op.NOT_REGEX):
        return _regex(op, lhs, rhs, n)
    out = np.zeros(n, dtype=bool)
    for ltag, lpart in lhs.parts.items():
        for rtag, rpart in rhs.parts.items():
            pair = _comparable(ltag, lpart, rtag, rpart)
            if pair is None or (ltag in (BOOL, STATUS, KIND) and op not in (Op.EQ, Op.NEQ)):
                continue
            out |= _to_mask(_CMP[op](*pair), n)
    return bool_value(out)


def nil_check(op: Op, operand: Value, n: int) -> Value:
    """`x != nil` (x exists) and `x = nil` (x missing)."""
    present = operand.present(n)
    return bool_value(present if op is Op.NEQ else ~present)


def _comparable(ltag: str, lpart: Column, rtag: str, rpart: Column) -> tuple[Column, Column] | None:
    if ltag in NUMERIC and rtag in NUMERIC:
        if FLOAT in (ltag, rtag):
            return _cast(lpart, pa.float64()), _cast(rpart, pa.float64())
        return _cast(lpart, pa.int64()), _cast(rpart, pa.int64())
    if ltag == rtag:
        return lpart, rpart
    return None


def _cast(part: Column, to: pa.DataType) -> Column:
    return part if part.type == to else pc.cast(part, to)


def _to_mask(result: Column, n: int) -> Mask:
    if isinstance(result, pa.Scalar):
        return np.full(n, bool(result.as_py()), dtype=bool)
    return np.asarray(pc.fill_null(result, False).to_numpy(zero_copy_only=False), dtype=bool)


def _regex(op: Op, lhs: Value, rhs: Value, n: int) -> Value:
    pattern = rhs.parts.get(STR)
    strings = lhs.parts.get(STR)
    if pattern is None or strings is None or not isinstance(pattern, pa.Scalar):
        return bool_value(np.zeros(n, dtype=bool))
    text = str(pattern.as_py())
    matched = _full_match(strings, text, n)
    present = _valid(strings, n)
    return bool_value(matched if op is Op.REGEX else present & ~matched)


def _full_match(strings: Column, pattern: str, n: int) -> Mask:
    """Anchored (whole-string) match, as Tempo's regexes are. Both engines here are RE2 (linear
    time, Go's dialect): Arrow's kernel for arrays, the google-re2 binding for scalars and for any
    pattern Arrow's build refuses. Never Python's ``re``, which backtracks exponentially."""
    compiled = compile_regex(pattern)  # raises TraceQLValidationError (400) if RE2 cannot run it
    if isinstance(strings, pa.Scalar):
        ok = strings.is_valid and compiled.fullmatch(str(strings.as_py())) is not None
        return np.full(n, ok, dtype=bool)
    try:
        return _to_mask(pc.match_substring_regex(strings, pattern=f"^(?:{pattern})$"), n)
    except pa.ArrowInvalid:
        values = strings.to_pylist()
        return np.array([v is not None and compiled.fullmatch(v) is not None for v in values], dtype=bool)


_ARITH = {
    Op.ADD: pc.add,
    Op.SUB: pc.subtract,
    Op.MUL: pc.multiply,
    Op.DIV: pc.divide,
    Op.POW: pc.power,
}


def arithmetic(op: Op, lhs: Value, rhs: Value) -> Value:
    """``lhs op rhs`` for + - * / % ^ over the numeric parts."""
    parts: dict[str, Column] = {}
    for ltag, lpart in lhs.parts.items():
        for rtag, rpart in rhs.parts.items():
            if ltag not in NUMERIC or rtag not in NUMERIC:
                continue
            tag = (
                FLOAT
                if FLOAT in (ltag, rtag) or op in (Op.DIV, Op.POW)
                else DUR
                if DUR in (ltag, rtag)
                else INT
            )
            if op is Op.DIV and DUR in (ltag, rtag) and FLOAT not in (ltag, rtag):
                tag = DUR if ltag == DUR and rtag != DUR else FLOAT
            target = pa.float64() if tag == FLOAT else pa.int64()
            a, b = _cast(lpart, target), _cast(rpart, target)
            if op is Op.MOD:
                result = pc.subtract(a, pc.multiply(pc.floor(pc.divide(pc.cast(a, pa.float64()), b)), b))
                result = _cast(result, target)
            elif op is Op.DIV and target == pa.int64():
                result = pc.cast(pc.divide(pc.cast(a, pa.float64()), pc.cast(b, pa.float64())), pa.int64())
            else:
                result = _ARITH[op](a, b)
            if tag in parts:
                result = pc.coalesce(parts[tag], result)
            parts[tag] = result
    return Value(parts)


def negate(value: Value) -> Value:
    """Unary minus over the numeric parts."""
    return Value({tag: pc.negate(part) for tag, part in value.parts.items() if tag in NUMERIC})


def logical(op: Op, lhs: Value, rhs: Value, n: int) -> Value:
    """`&&` / `||` between boolean values."""
    a, b = truthy(lhs, n), truthy(rhs, n)
    return bool_value(a & b if op is Op.AND else a | b)


def logical_not(value: Value, n: int) -> Value:
    """`!x`: true where x is not true."""
    return bool_value(~truthy(value, n))


def take(value: Value, index: pa.Array) -> Value:
    """Rows ``index`` of every array part (scalars stay broadcast)."""
    return Value(
        {tag: part if isinstance(part, pa.Scalar) else part.take(index) for tag, part in value.parts.items()}
    )


def numeric_array(value: Value, n: int) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The value as float64 per row, NaN where it has no number (for aggregates)."""
    out = np.full(n, np.nan)
    for tag in NUMERIC:
        part = value.parts.get(tag)
        if part is None:
            continue
        if isinstance(part, pa.Scalar):
            arr = np.full(n, np.nan if not part.is_valid else float(part.as_py()))
        else:
            arr = np.asarray(pc.cast(part, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
        out = np.where(np.isnan(out), arr, out)
    return out
