"""Turning evaluation results into Python values for responses: attribute values of chosen rows,
and which attributes a query shows with its matched spans (those it filters on, plus select())."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from tempo_py.traceql import ast
from tempo_py.traceql.enums import KIND_VALUES, AttributeScope, Intrinsic
from tempo_py.traceql.eval.values import BOOL, DUR, FLOAT, INT, KIND, STATUS, STR, Value
from tempo_py.traceql.walk import walk

_STATUS_WORDS = {0: "unset", 1: "ok", 2: "error"}
_ORDER = (STR, INT, FLOAT, BOOL, DUR, STATUS, KIND)

# Intrinsics whose values are on the span row itself and so can be shown with a matched span.
_SHOWABLE_INTRINSICS = frozenset(
    {
        Intrinsic.NAME,
        Intrinsic.STATUS,
        Intrinsic.STATUS_MESSAGE,
        Intrinsic.KIND,
        Intrinsic.DURATION,
        Intrinsic.INSTRUMENTATION_NAME,
        Intrinsic.INSTRUMENTATION_VERSION,
    }
)


def typed_row_values(value: Value, rows: np.ndarray[Any, np.dtype[Any]]) -> list[tuple[str, Any] | None]:
    """Per row in ``rows``: (type tag, Python value) of the first type present, or None."""
    out: list[tuple[str, Any] | None] = [None] * len(rows)
    index = pa.array(np.asarray(rows, dtype=np.int64))
    for tag in _ORDER:
        part = value.parts.get(tag)
        if part is None:
            continue
        values = [part.as_py()] * len(rows) if isinstance(part, pa.Scalar) else part.take(index).to_pylist()
        for i, v in enumerate(values):
            if out[i] is None and v is not None:
                out[i] = (tag, _word(tag, v))
    return out


def row_values(value: Value, rows: np.ndarray[Any, np.dtype[Any]]) -> list[Any]:
    """Per row in ``rows``: the Python value of the first type present (None when missing)."""
    return [None if tv is None else tv[1] for tv in typed_row_values(value, rows)]


def _word(tag: str, v: Any) -> Any:
    if tag == STATUS:
        return _STATUS_WORDS.get(int(v), str(v))
    if tag == KIND:
        return KIND_VALUES[int(v)] if 0 <= int(v) < len(KIND_VALUES) else str(v)
    return v


def shown_attributes(root: ast.RootExpr, select: tuple[ast.Attribute, ...]) -> list[ast.Attribute]:
    """Attributes shown with matched spans: span/resource attributes the filters read, then select()'s.

    Event and link fields are per event, not per span, and trace intrinsics are per trace; neither is
    shown per span.
    """
    seen: dict[ast.Attribute, None] = {}
    for node in walk(root):
        if isinstance(node, ast.SpansetFilter):
            for inner in walk(node):
                if isinstance(inner, ast.Attribute) and _showable(inner):
                    seen.setdefault(inner)
    for attr in select:
        if _showable(attr):
            seen.setdefault(attr)
    return list(seen)


def _showable(attr: ast.Attribute) -> bool:
    if attr.scope in (AttributeScope.EVENT, AttributeScope.LINK, AttributeScope.TRACE):
        return False
    return attr.intrinsic is None or attr.intrinsic in _SHOWABLE_INTRINSICS


def attribute_key(attr: ast.Attribute) -> str:
    """The key an attribute is shown under: its name without scope (`service.name`, `status`)."""
    return attr.name
