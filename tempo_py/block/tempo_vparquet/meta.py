"""What the reader needs of a Tempo block's meta.json beyond :class:`~tempo_py.block.meta.BlockMeta`.

Tempo writes ``dedicatedColumns``: attributes it stores in spare columns instead of the generic
attribute lists, as ``{"s": scope (default "span"), "n": name, "t": type (default "string"),
"o": options}``. Spare columns are assigned in list order, per scope and type:
``DedicatedAttributes.String01``, ``String02``, ... (and ``Int01``, ... in vParquet5, which also
has event-scope ones; its files hold only the spare columns in use).
:mod:`tempo_py.block.meta` keeps these fields in ``BlockMeta.extra``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tempo_py.block.meta import BlockMeta

VPARQUET4 = "vParquet4"
VPARQUET5 = "vParquet5"

# spare columns per (scope, type) and version
_SPARE: dict[str, dict[tuple[str, str], int]] = {
    VPARQUET4: {("resource", "string"): 10, ("span", "string"): 10},
    VPARQUET5: {
        ("resource", "string"): 20,
        ("resource", "int"): 5,
        ("span", "string"): 20,
        ("span", "int"): 5,
        ("event", "string"): 20,
        ("event", "int"): 5,
    },
}


@dataclass(frozen=True)
class DedicatedColumn:
    """One dedicated attribute: its scope ("resource", "span", "event"), key, type and spare column."""

    scope: str
    key: str
    type: str  # "string" or "int"
    column: str  # field name inside DedicatedAttributes, e.g. "String01"


def dedicated_columns(meta: BlockMeta) -> list[DedicatedColumn]:
    """The block's dedicated columns, with the spare column each occupies (Tempo's assignment)."""
    spare = _SPARE.get(meta.version, {})
    raw: list[Any] = list(meta.extra.get("dedicatedColumns") or [])
    used: dict[tuple[str, str], int] = {}
    out: list[DedicatedColumn] = []
    for c in raw:
        if not isinstance(c, dict) or "n" not in c:
            continue
        scope = str(c.get("s") or "span")
        typ = str(c.get("t") or "string")
        limit = spare.get((scope, typ))
        if limit is None:
            continue  # a scope or type this version has no spare columns for: Tempo ignores it
        i = used.get((scope, typ), 0)
        if i >= limit:
            continue
        used[(scope, typ)] = i + 1
        prefix = "String" if typ == "string" else "Int"
        out.append(DedicatedColumn(scope, str(c["n"]), typ, f"{prefix}{i + 1:02d}"))
    return out
