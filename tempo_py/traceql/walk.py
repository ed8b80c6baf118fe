"""Generic traversal of AST nodes, for checks that look for a construct anywhere in a query."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields

from tempo_py.traceql.ast import Node


def children(node: Node) -> Iterator[Node]:
    """The direct child nodes of ``node``, in field order (tuples of nodes flattened)."""
    for field in fields(node):  # type: ignore[arg-type]
        value = getattr(node, field.name)
        if isinstance(value, Node):
            yield value
        elif isinstance(value, tuple):
            yield from (item for item in value if isinstance(item, Node))


def walk(node: Node) -> Iterator[Node]:
    """``node`` and all its descendants, depth first, parents before children."""
    yield node
    for child in children(node):
        yield from walk(child)
