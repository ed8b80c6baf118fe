"""Min/max statistics of span columns over a group of rows (a row group of a block).

Block encodings report them (``BlockScan.stats``, :mod:`tempo_py.block.interface`); TraceQL
pruning (:mod:`tempo_py.traceql.eval.prune`) judges from them whether a row group may hold a
matching span. The type lives on the floor both stand on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ColumnStats:
    """One column's statistics in one row group (min/max None when absent).

    For an attribute list column, ``keys`` are the attribute keys present in the row group
    (None: not known), and min/max are None.
    """

    min: Any
    max: Any
    all_null: bool = False
    keys: frozenset[str] | None = None


Stats = dict[str, ColumnStats]
