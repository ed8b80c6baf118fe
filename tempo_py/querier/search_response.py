"""Tempo's SearchResponse JSON, exactly as its jsonpb encoding writes it.

Grafana's Tempo datasource decodes these into tempopb types, so only tempopb field names appear.
jsonpb rules: uint64 fields are strings (startTimeUnixNano, durationNanos, inspectedBytes...),
uint32 are numbers, zero scalars and empty lists are left out; ``traces`` and ``metrics`` are
always written because the datasource's frontend reads them unconditionally.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tempo_py.querier.search import SearchOutcome
from tempo_py.traceql import ast
from tempo_py.traceql.eval.access import View
from tempo_py.traceql.eval.filter import evaluate
from tempo_py.traceql.eval.frame import hex_ids
from tempo_py.traceql.eval.output import attribute_key, shown_attributes, typed_row_values
from tempo_py.traceql.eval.values import BOOL, DUR, FLOAT, INT, KIND, STATUS, STR

NO_ROOT = "<root span not yet received>"
ERROR_STATUS = 2


def any_value(tag: str, value: Any) -> dict[str, Any]:
    """An OTLP AnyValue in jsonpb form for a typed value."""
    if tag in (INT, DUR):
        return {"intValue": str(int(value))}
    if tag == FLOAT:
        return {"doubleValue": float(value)}
    if tag == BOOL:
        return {"boolValue": bool(value)}
    if tag in (STR, STATUS, KIND):
        return {"stringValue": str(value)}
    return {"stringValue": str(value)}


def _python_any_value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return any_value(BOOL, value)
    if isinstance(value, int):
        return any_value(INT, value)
    if isinstance(value, float):
        return any_value(FLOAT, value)
    return any_value(STR, value)


def _omit_zero(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if v not in (0, "0", "", [], None)}


def metrics_json(outcome: SearchOutcome) -> dict[str, Any]:
    """SearchMetrics: one job per block plus one for live data."""
    s = outcome.stats
    jobs = s.total_blocks + 1
    return _omit_zero(
        {
            "inspectedTraces": s.inspected_traces,
            "inspectedBytes": str(s.inspected_bytes),
            "totalBlocks": s.total_blocks,
            "completedJobs": jobs,
            "totalJobs": jobs,
            "totalBlockBytes": str(s.total_block_bytes),
            "inspectedSpans": str(s.inspected_spans),
        }
    )


def search_response(outcome: SearchOutcome, root: ast.RootExpr, limit: int, spss: int) -> dict[str, Any]:
    """The whole /api/search body for the first ``limit`` traces, ``spss`` spans per spanset."""
    frame, sets = outcome.frame, outcome.spansets
    codes = outcome.traces[:limit]
    if not codes:
        return {"traces": [], "metrics": metrics_json(outcome)}
    chosen = np.isin(sets.trace, codes)
    # spans shown: the first spss of each spanset of a chosen trace, by start time
    entry_rows, entry_ids = sets.rows, sets.ids
    order = np.lexsort((frame.span_start[entry_rows], entry_ids))
    by_set: dict[int, list[int]] = {}
    matched = np.bincount(entry_ids, minlength=sets.count)
    for e in order.tolist():
        ss = int(entry_ids[e])
        if chosen[ss]:
            rows = by_set.setdefault(ss, [])
            if len(rows) < spss:
                rows.append(int(entry_rows[e]))
    shown_rows = np.array(sorted({r for rows in by_set.values() for r in rows}), dtype=np.int64)
    span_json = _spans_json(outcome, root, shown_rows)
    sets_of_trace: dict[int, list[dict[str, Any]]] = {}
    for ss in range(sets.count):
        if not chosen[ss]:
            continue
        spanset: dict[str, Any] = {
            "spans": [span_json[r] for r in by_set.get(ss, [])],
            "matched": int(matched[ss]),
        }
        if sets.attrs[ss]:
            spanset["attributes"] = [{"key": k, "value": _python_any_value(v)} for k, v in sets.attrs[ss]]
        sets_of_trace.setdefault(int(sets.trace[ss]), []).append(spanset)
    stats = _service_stats(frame, codes)
    ids = hex_ids(frame.trace_ids).to_pylist()
    root_service = frame.per_trace_string("service_name")
    root_name = frame.per_trace_string("name")
    traces = []
    for code in codes:
        start, end = int(frame.trace_start[code]), int(frame.trace_end[code])
        spansets = sets_of_trace.get(code, [])
        trace: dict[str, Any] = {
            "traceID": ids[code],
            "rootServiceName": root_service[code] if frame.root_rows[code] >= 0 else NO_ROOT,
            "rootTraceName": root_name[code] if frame.root_rows[code] >= 0 else "",
            "startTimeUnixNano": str(start),
            "durationMs": (end - start) // 1_000_000,
            "spanSet": spansets[0] if spansets else None,
            "spanSets": spansets,
            "serviceStats": stats[code],
        }
        traces.append(_omit_zero(trace))
    return {"traces": traces, "metrics": metrics_json(outcome)}


def _spans_json(
    outcome: SearchOutcome, root: ast.RootExpr, rows: np.ndarray[Any, np.dtype[Any]]
) -> dict[int, dict[str, Any]]:
    frame = outcome.frame
    index = pa.array(rows)
    span_ids = hex_ids(frame.column("span_id").take(index)).to_pylist()
    names = frame.column("name").take(index).to_pylist()
    attrs = shown_attributes(root, outcome.spansets.select)
    view = View(frame)
    values = [typed_row_values(evaluate(a, view), rows) for a in attrs]
    out: dict[int, dict[str, Any]] = {}
    for i, row in enumerate(rows.tolist()):
        start, end = int(frame.span_start[row]), int(frame.span_end[row])
        span: dict[str, Any] = {
            "spanID": span_ids[i],
            "name": names[i],
            "startTimeUnixNano": str(start),
            "durationNanos": str(end - start),
        }
        kvs = [
            {"key": attribute_key(a), "value": any_value(*v[i])}  # type: ignore[misc]
            for a, v in zip(attrs, values, strict=True)
            if v[i] is not None
        ]
        if kvs:
            span["attributes"] = kvs
        out[row] = _omit_zero(span)
    return out


def _service_stats(frame: Any, codes: list[int]) -> dict[int, dict[str, dict[str, int]]]:
    """Per chosen trace: span and error counts per service."""
    wanted = np.isin(frame.trace_codes, codes)
    rows = pa.array(np.nonzero(wanted)[0])
    table = pa.table(
        {
            "t": pa.array(frame.trace_codes[wanted]),
            "s": pc.fill_null(frame.column("service_name").take(rows), ""),
            "e": pc.cast(pc.equal(frame.column("status_code").take(rows), ERROR_STATUS), pa.int64()),
        }
    )
    grouped = table.group_by(["t", "s"], use_threads=False).aggregate([("e", "count"), ("e", "sum")])
    out: dict[int, dict[str, dict[str, int]]] = {c: {} for c in codes}
    for t, s, n, errors in zip(
        *(grouped.column(c).to_pylist() for c in ("t", "s", "e_count", "e_sum")), strict=True
    ):
        out[t][s] = _omit_zero({"spanCount": n, "errorCount": errors})
    return out
