"""Decoding row groups for a search with only the attribute lists that can matter.

An attribute list column (``attrs``, ``resource_attrs``, ``scope_attrs``) is the widest thing a
search decodes. A query reads only certain keys from it; when the block's key index says none of
them occurs in the row groups at hand, the column is not decoded and an empty list per row stands
in for it (every lookup of those keys would have found nothing anyway), so tables of all row
groups keep one schema.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tempo_py.block.interface import BlockScan
from tempo_py.model.schema import SPAN_SCHEMA
from tempo_py.traceql import ast
from tempo_py.traceql.eval.plan import ATTRIBUTE_LISTS
from tempo_py.traceql.walk import walk

ListKeys = dict[str, frozenset[str]]  # list column -> the keys a query looks up in it


def query_list_keys(root: ast.Node) -> ListKeys:
    """The attribute keys ``root`` looks up, per attribute list column."""
    out: dict[str, set[str]] = {}
    for node in walk(root):
        if isinstance(node, ast.Attribute) and node.intrinsic is None:
            for column in ATTRIBUTE_LISTS.get(node.scope, ()):
                out.setdefault(column, set()).add(node.name)
    return {c: frozenset(k) for c, k in out.items()}


def unneeded_lists(scan: BlockScan, groups: list[int], columns: list[str], wanted: ListKeys) -> set[str]:
    """List columns among ``columns`` that hold none of the wanted keys in any of ``groups``."""
    lists = [c for c in columns if c in wanted]
    out = set()
    for column in lists:
        keys = wanted[column]
        for g in groups:
            present = scan.stats(g, (column,)).get(column)
            if present is None or present.keys is None or not keys.isdisjoint(present.keys):
                break
        else:
            out.add(column)
    return out


def decode(scan: BlockScan, groups: list[int], columns: list[str], wanted: ListKeys) -> pa.Table:
    """``columns`` of ``groups`` (fetched), with empty lists for list columns that cannot matter."""
    skip = unneeded_lists(scan, groups, columns, wanted)
    table = scan.decode(groups, [c for c in columns if c not in skip])
    if not skip:
        return table
    empty = _empty_lists(table.num_rows)
    return pa.table(
        {c: (empty if c in skip else table.column(c)) for c in columns},
        schema=pa.schema([SPAN_SCHEMA.field(c) for c in columns]),
    )


def fetch_columns(scan: BlockScan, groups: list[int], columns: list[str], wanted: ListKeys) -> list[str]:
    """The columns to fetch for :func:`decode` of the same groups."""
    skip = unneeded_lists(scan, groups, columns, wanted)
    return [c for c in columns if c not in skip]


def _empty_lists(n: int) -> pa.Array:
    item = SPAN_SCHEMA.field("attrs").type.value_type
    offsets = pa.array(np.zeros(n + 1, dtype=np.int32))
    return pa.ListArray.from_arrays(offsets, pa.array([], item), type=SPAN_SCHEMA.field("attrs").type)
