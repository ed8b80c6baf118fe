"""TraceQL evaluation over Arrow span tables (see the submodules for each part).

Usage::

    frame = Frame(spans)                       # every span of the traces to judge
    sets = evaluate_search(root, frame)        # Spansets: (row, spanset) entries, per-spanset trace code
    plan.candidates(root) / plan.columns_for(root) / prune.may_match(expr, stats)   # for storage

Filters become numpy masks over span rows (filter.py); spanset `&&`/`||` and structural operators
combine masks (structural.py); pipelines turn masks into spansets and run aggregates, by(),
coalesce() and select() (pipeline.py).
"""

from __future__ import annotations

from tempo_py.traceql import ast
from tempo_py.traceql.errors import TraceQLUnsupportedError
from tempo_py.traceql.eval.frame import Frame
from tempo_py.traceql.eval.pipeline import Spansets, run_pipeline
from tempo_py.traceql.supported import check_supported


def evaluate_search(root: ast.RootExpr, frame: Frame) -> Spansets:
    """Spansets of every trace in ``frame`` matching a search query.

    Raises TraceQLUnsupportedError for metrics queries and constructs this backend cannot evaluate.
    """
    check_search_query(root)
    assert isinstance(root.query, ast.Pipeline)
    return run_pipeline(root.query, frame)


def check_search_query(root: ast.RootExpr) -> None:
    """Raise TraceQLUnsupportedError unless ``root`` is a search query this backend evaluates."""
    if root.is_metrics:
        raise TraceQLUnsupportedError("metrics queries on the search API (use a spanset pipeline)")
    check_supported(root)


__all__ = ["Frame", "Spansets", "check_search_query", "evaluate_search"]
