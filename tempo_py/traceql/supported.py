"""Which valid TraceQL this backend cannot evaluate yet (Tempo's "not yet supported" set).

These queries parse and validate; ``check_supported`` tells the user they are well-formed but not
implemented, so they should not rewrite them, only avoid them for now.
"""

from __future__ import annotations

from tempo_py.traceql import ast
from tempo_py.traceql.enums import Intrinsic
from tempo_py.traceql.errors import TraceQLUnsupportedError
from tempo_py.traceql.walk import walk


def check_supported(root: ast.RootExpr) -> None:
    """Raise TraceQLUnsupportedError if ``root`` uses a construct that cannot be evaluated.

    Unsupported: `parent.` attributes and the `parent` intrinsic, and scalar filters other than
    `aggregate <op> constant` (comparing two aggregates, arithmetic on aggregates, comparisons of
    wrapped scalar pipelines). Metrics queries are reported by the evaluator, not here.
    """
    for node in walk(root):
        match node:
            case ast.Attribute(parent=True) | ast.Attribute(intrinsic=Intrinsic.PARENT):
                raise TraceQLUnsupportedError(f"parent attributes and the parent intrinsic ({node})")
            case ast.ScalarFilter(lhs=lhs, rhs=rhs) if not (
                isinstance(lhs, ast.Aggregate) and is_constant(rhs)
            ):
                raise TraceQLUnsupportedError(
                    f"scalar filters other than `aggregate <op> constant`, e.g. `count() > 2` ({node})"
                )


def is_constant(node: ast.Node) -> bool:
    """Whether a scalar expression is made of literals only (`3`, `1 - 3`, `-2s`)."""
    match node:
        case ast.Static():
            return True
        case ast.ScalarOperation(lhs=lhs, rhs=rhs):
            return is_constant(lhs) and is_constant(rhs)
    return False
