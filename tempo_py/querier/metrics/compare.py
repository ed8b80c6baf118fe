"""`compare({ filter }, topN, start, end)` as Tempo's MetricsCompare: every span in range is in the
*selection* (the filter holds, and its start is in ``[start, end)`` when those are given) or the
*baseline*; each of its attributes (span, resource, dedicated columns) and its `name`, `status`
and `kind` counts once per interval under its value. The answer has, per attribute, the topN
values by total count of each side (``__meta_type`` baseline / selection) and one total series
per side (baseline_total / selection_total, the attribute's label nil).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tempo_py.model.schema import DEDICATED, VT_BOOL, VT_DOUBLE, VT_INT, VT_STR
from tempo_py.querier.metrics.request import MetricsRequest
from tempo_py.querier.metrics.series import LabelValue, Series, SeriesResult, order_key, typed_label
from tempo_py.traceql import ast
from tempo_py.traceql.enums import KIND_VALUES
from tempo_py.traceql.eval import Frame
from tempo_py.traceql.eval.filter import span_mask

# the columns compare() reads besides its filter's
VALUE_TAGS = (("str", pa.string()), ("int", pa.int64()), ("float", pa.float64()), ("bool", pa.bool_()))
_STATUS = ("unset", "ok", "error")


def observe_compare(table: pa.Table, fn: ast.MetricsCompare, req: MetricsRequest) -> pa.Table | None:
    """Counts per (side, attribute, value, interval) of ``table``'s spans in range."""
    if table.num_rows == 0:
        return None
    frame = Frame(table)
    start = frame.span_start
    interval = req.interval_of(start)
    rows = np.flatnonzero(interval >= 0)
    if not len(rows):
        return None
    selected = np.asarray(span_mask(fn.filter.expr, frame), dtype=bool)
    if fn.start > 0 and fn.end > 0:
        selected &= (start >= fn.start) & (start < fn.end)
    pieces: list[tuple[np.ndarray[Any, Any], str | pa.Array, str, pa.Array]] = []
    take = pa.array(rows)
    pieces.append((rows, "name", "str", table.column("name").take(take)))
    status = np.asarray(table.column("status_code").take(take).to_numpy(zero_copy_only=False), dtype=np.int64)
    pieces.append((rows, "status", "str", pa.array([_STATUS[s] if 0 <= s < 3 else str(s) for s in status])))
    kind = np.asarray(table.column("kind").take(take).to_numpy(zero_copy_only=False), dtype=np.int64)
    pieces.append(
        (
            rows,
            "kind",
            "str",
            pa.array([KIND_VALUES[k] if 0 <= k < len(KIND_VALUES) else str(k) for k in kind]),
        )
    )
    for d in DEDICATED:
        if d.column in table.column_names:
            col = table.column(d.column).take(take)
            valid = np.asarray(pc.is_valid(col).to_numpy(zero_copy_only=False), dtype=bool)
            tag = "int" if d.vtype == VT_INT else "str"
            pieces.append((rows[valid], f"{d.scope}.{d.key}", tag, col.filter(pa.array(valid))))
    for column, scope in (("attrs", "span"), ("resource_attrs", "resource")):
        if column not in table.column_names:
            continue
        lists = table.column(column).combine_chunks().take(take)
        flat = pc.list_flatten(lists)
        if not len(flat):
            continue
        parents = rows[np.asarray(pc.list_parent_indices(lists).to_numpy(), dtype=np.int64)]
        names = pc.binary_join_element_wise(f"{scope}.", flat.field("key"), "")
        types = flat.field("type")
        for vtype, field, tag in (
            (VT_STR, "str", "str"),
            (VT_INT, "int", "int"),
            (VT_DOUBLE, "double", "float"),
            (VT_BOOL, "bool", "bool"),
        ):
            hit = pc.equal(types, vtype)
            mask = np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)
            if mask.any():
                pieces.append((parents[mask], names.filter(hit), tag, flat.field(field).filter(hit)))
    parts = []
    for at, name, tag, values in pieces:
        if not len(at):
            continue
        cols: dict[str, Any] = {
            "sel": pa.array(selected[at]),
            "attr": pa.repeat(name, len(at)) if isinstance(name, str) else name,
            "interval": pa.array(interval[at]),
        }
        for t, typ in VALUE_TAGS:
            cols[f"v:{t}"] = values.cast(typ) if t == tag else pa.nulls(len(at), typ)
        parts.append(pa.table(cols))
    if not parts:
        return None
    merged = pa.concat_tables(parts)
    keys = ["sel", "attr", "interval", *(f"v:{t}" for t, _ in VALUE_TAGS)]
    out = merged.group_by(keys, use_threads=False).aggregate([([], "count_all")])
    return out.rename_columns(["n" if c == "count_all" else c for c in out.column_names])


def compare_series(
    merged: pa.Table | None, fn: ast.MetricsCompare, req: MetricsRequest, max_series: int
) -> SeriesResult:
    """Tempo's compare() series from the merged counts."""
    out: list[Series] = []
    if merged is not None and merged.num_rows:
        intervals = req.intervals
        cells: dict[tuple[bool, str, LabelValue | None], np.ndarray[Any, Any]] = {}
        data = merged.to_pydict()
        for i in range(merged.num_rows):
            value: LabelValue | None = None
            for tag, _ in VALUE_TAGS:
                v = data[f"v:{tag}"][i]
                if v is not None:
                    value = typed_label(tag, v)
                    break
            for key in ((data["sel"][i], data["attr"][i], value), (data["sel"][i], data["attr"][i], None)):
                counts = cells.setdefault(key, np.zeros(intervals))
                counts[data["interval"][i]] += data["n"][i]
        by_attr: dict[tuple[bool, str], list[tuple[float, LabelValue, np.ndarray[Any, Any]]]] = {}
        for (sel, attr, value), counts in cells.items():
            meta = "selection" if sel else "baseline"
            if value is None:
                out.append(
                    Series(
                        (("__meta_type", ("stringValue", meta + "_total")), (attr, ("stringValue", "nil"))),
                        counts,
                    )
                )
            else:
                by_attr.setdefault((sel, attr), []).append((float(counts.sum()), value, counts))
        for (sel, attr), entries in by_attr.items():
            meta = "selection" if sel else "baseline"
            entries.sort(key=lambda e: -e[0])
            for _, value, counts in entries[: fn.topn]:
                out.append(Series((("__meta_type", ("stringValue", meta)), (attr, value)), counts))
    out.sort(key=order_key)
    truncated = 0 < max_series < len(out)
    return SeriesResult(out[:max_series] if truncated else out, truncated, max_series)
