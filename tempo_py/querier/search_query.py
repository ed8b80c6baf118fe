"""A search request and what a search looked at: the types every search file shares."""

from __future__ import annotations

from dataclasses import dataclass

from tempo_py.traceql import ast


@dataclass(frozen=True)
class SearchQuery:
    """A parsed search request (times in ns; None = open)."""

    root: ast.RootExpr
    start_ns: int | None = None
    end_ns: int | None = None
    min_duration_ns: int | None = None
    max_duration_ns: int | None = None
    limit: int | None = None  # lets the search stop early; the response is truncated to it anyway


@dataclass
class SearchStats:
    """What a search looked at (SearchMetrics in the response)."""

    inspected_traces: int = 0
    inspected_bytes: int = 0
    inspected_spans: int = 0
    total_blocks: int = 0
    total_block_bytes: int = 0
