"""Columnar operations on span tables: order, de-duplicate, select traces."""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa
import pyarrow.compute as pc

from tempo_py.model.schema import SPAN_SCHEMA

SORT_KEYS = [("trace_id", "ascending"), ("start_time_unix_nano", "ascending"), ("span_id", "ascending")]


def sort_spans(table: pa.Table) -> pa.Table:
    """Order rows by (trace ID, start time, span ID): the block order."""
    if table.num_rows <= 1:
        return table
    return table.take(pc.sort_indices(table, sort_keys=SORT_KEYS))


def dedupe_spans(table: pa.Table) -> pa.Table:
    """Keep one row per (trace ID, span ID, kind): the one with the latest end time, then the last given.

    Kind is part of the key because Zipkin's shared spans reuse one span ID for the client and the
    server half. The latest end time lets a finished span replace an in-progress copy of itself
    (X-Ray sends in_progress segments, then the completed one) whatever order they arrive in.
    """
    if table.num_rows <= 1:
        return table
    keyed = pa.table(
        {
            "t": table.column("trace_id"),
            "s": table.column("span_id"),
            "k": table.column("kind"),
            "e": table.column("end_time_unix_nano"),
            "i": pa.array(range(table.num_rows), pa.int64()),
        }
    )
    order = pc.sort_indices(
        keyed,
        sort_keys=[
            ("t", "ascending"),
            ("s", "ascending"),
            ("k", "ascending"),
            ("e", "ascending"),
            ("i", "ascending"),
        ],
    )
    ranked = keyed.take(order)
    n = ranked.num_rows
    # the last row of each (t, s, k) run is the winner
    same_as_next = pc.and_(
        pc.and_(
            pc.equal(ranked["t"].slice(0, n - 1), ranked["t"].slice(1)),
            pc.equal(ranked["s"].slice(0, n - 1), ranked["s"].slice(1)),
        ),
        pc.equal(ranked["k"].slice(0, n - 1), ranked["k"].slice(1)),
    )
    last = pa.concat_arrays([pc.invert(same_as_next).combine_chunks(), pa.array([True])])
    keep = ranked["i"].filter(last)
    if len(keep) == n:
        return table
    return table.take(keep.take(pc.sort_indices(keep)))  # kept rows, in input order


_KEY_COLUMNS = ["trace_id", "span_id", "kind", "start_time_unix_nano", "end_time_unix_nano"]


def block_order(table: pa.Table) -> pa.Array:
    """Row indices that de-duplicate (:func:`dedupe_spans`) and sort (:func:`sort_spans`) ``table``.

    Computed on the few key columns plus a row number, so the wide table (nested attribute lists)
    is gathered once by the caller, instead of once per step.
    """
    keys = table.select(_KEY_COLUMNS).append_column("_row", pa.array(range(table.num_rows), pa.int64()))
    return sort_spans(dedupe_spans(keys)).column("_row")


def concat(tables: Iterable[pa.Table]) -> pa.Table:
    """Concatenate span tables (schema-checked)."""
    parts = [t for t in tables if t.num_rows]
    if not parts:
        return SPAN_SCHEMA.empty_table()
    return pa.concat_tables(parts)


def filter_trace(table: pa.Table, trace_id: bytes) -> pa.Table:
    """Rows of one trace."""
    if table.num_rows == 0:
        return table
    return table.filter(pc.equal(table.column("trace_id"), pa.scalar(trace_id, pa.binary(16))))
