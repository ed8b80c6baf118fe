"""Which attribute keys each row group holds, kept in the Parquet footer's key-value metadata.

A search for `span.x` reads the generic attribute list of a row group only when ``x`` occurs in it:
a key absent from every span of a row group rules that group out for `span.x = ...`, and lets a
dedicated column alone answer for its key (no values of another type hide in the list). The writer
records, per row group and list column, a bitset over the block's sorted key union, so the footer
grows by a few bytes per row group. Blocks written without it answer "unknown" (read the list).
"""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.compute as pc

METADATA_KEY = b"tempo_py.attr_keys"
# the attribute lists of a span row whose keys are indexed
LIST_COLUMNS = ("attrs", "resource_attrs", "scope_attrs")

# A list column whose block holds more distinct keys is left out of the index (every lookup of
# it reads the list): generated key names (IDs in keys) would otherwise bloat the footer that
# every lookup and search parses.
MAX_KEYS = 1000

GroupKeys = dict[str, frozenset[str]]  # list column -> keys present in one row group


def group_keys(table: pa.Table) -> GroupKeys:
    """The keys present in each attribute list column of one row group's rows."""
    out: GroupKeys = {}
    for column in LIST_COLUMNS:
        keys = pc.struct_field(pc.list_flatten(table.column(column)), "key")
        out[column] = frozenset(pc.unique(keys).to_pylist())
    return out


def encode(groups: list[GroupKeys]) -> bytes:
    """The metadata value for a block's row groups, in row-group order."""
    doc: dict[str, dict[str, list[str]]] = {}
    for column in LIST_COLUMNS:
        names = sorted(set().union(*(g[column] for g in groups)))
        if len(names) > MAX_KEYS:
            continue
        position = {k: i for i, k in enumerate(names)}
        masks = [sum(1 << position[k] for k in g[column]) for g in groups]
        doc[column] = {"keys": names, "groups": [format(m, "x") for m in masks]}
    return json.dumps(doc, separators=(",", ":")).encode()


def decode(raw: bytes | None, num_groups: int) -> list[GroupKeys] | None:
    """Per row group, the keys of each indexed list column (a column left out is not in the
    dicts); None when the block has no (valid) index."""
    if raw is None:
        return None
    try:
        doc = json.loads(raw)
        out: list[GroupKeys] = [{} for _ in range(num_groups)]
        for column in LIST_COLUMNS:
            if column not in doc:
                continue
            names = doc[column]["keys"]
            masks = doc[column]["groups"]
            if len(masks) != num_groups:
                return None
            for g, mask in enumerate(masks):
                bits = int(mask, 16)
                out[g][column] = frozenset(k for i, k in enumerate(names) if bits >> i & 1)
        return out
    except (ValueError, KeyError, TypeError):
        return None
