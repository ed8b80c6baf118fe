"""Packed span tables: resource and scope columns dictionary-encoded, for data held in memory.

An ingester holds recent spans as Arrow. Repeating a resource's ~10 attributes on every span costs
~800 bytes per span in memory (measured on bench.workload: 1352 B/span unpacked), while a
dictionary keeps one copy per distinct resource and a 4-byte index per span. Packed tables support
filter, take and concat like any other; :func:`unpack` restores the plain span schema where code
needs it (block writing, trace answers, search).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from tempo_py.model.schema import RESOURCE_COLUMNS, SCOPE_COLUMNS, SPAN_SCHEMA

PACKED_COLUMNS = (*RESOURCE_COLUMNS, *SCOPE_COLUMNS)


def _decode(col: pa.ChunkedArray) -> pa.ChunkedArray:
    if not pa.types.is_dictionary(col.type):
        return col
    return pa.chunked_array([c.dictionary.take(c.indices) for c in col.chunks], type=col.type.value_type)


def _unify(col: pa.ChunkedArray) -> pa.ChunkedArray:
    if not pa.types.is_dictionary(col.type) or col.num_chunks <= 1:
        return col
    indices, offset = [], 0
    for chunk in col.chunks:
        indices.append(pc.add(chunk.indices, pa.scalar(offset, chunk.indices.type)))
        offset += len(chunk.dictionary)
    merged = pa.DictionaryArray.from_arrays(
        pa.concat_arrays(indices), pa.concat_arrays([c.dictionary for c in col.chunks])
    )
    return pa.chunked_array([merged], type=col.type)


def unify_dictionaries(table: pa.Table) -> pa.Table:
    """One dictionary per packed column, so cross-chunk ``take`` works.

    Arrow cannot unify dictionaries of nested values itself; concatenating the chunks' (small,
    per-request) dictionaries and offsetting the indices is enough, duplicates are harmless.
    """
    cols = [_unify(table.column(i)) for i in range(table.num_columns)]
    return pa.Table.from_arrays(cols, schema=table.schema)


def unpack(table: pa.Table) -> pa.Table:
    """The table in :data:`SPAN_SCHEMA` (a no-op for tables that are not packed)."""
    if table.schema == SPAN_SCHEMA:
        return table
    cols = [
        _decode(table.column(name)) if name in PACKED_COLUMNS else table.column(name)
        for name in SPAN_SCHEMA.names
    ]
    return pa.Table.from_arrays(cols, schema=SPAN_SCHEMA)
