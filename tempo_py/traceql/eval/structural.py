"""Spanset operators between two span masks of the same frame: `&&`, `||` and structural ones.

Relations come from each row's parent row (see Frame.parent_rows); descendant and ancestor walk
parent links one level per numpy step, so the cost is (tree depth) vectorised passes.
For `A op B` the result holds B's spans that stand in the relation to some span of A; the negated
forms (`!>` ...) hold B's spans that do not; the union forms (`&>` ...) hold the spans of both sides
that take part in the relation. `&&` keeps both sides' spans in traces where both matched and `||`
keeps either side's.
"""

from __future__ import annotations

import numpy as np

from tempo_py.traceql.enums import Op
from tempo_py.traceql.eval.frame import Frame
from tempo_py.traceql.eval.values import Mask


def combine(op: Op, lhs: Mask, rhs: Mask, frame: Frame) -> Mask:
    """Result mask of ``lhs op rhs``."""
    return np.asarray(_combine(op, lhs, rhs, frame), dtype=bool)


def _combine(op: Op, lhs: Mask, rhs: Mask, frame: Frame) -> Mask:
    if op is Op.OR:
        return lhs | rhs
    if op is Op.AND:
        both = _traces_with(lhs, frame) & _traces_with(rhs, frame)
        return (lhs | rhs) & both[frame.trace_codes]
    relation = _RELATIONS.get(op)
    if relation is not None:
        return rhs & relation(lhs, frame)
    negated = _NEGATED.get(op)
    if negated is not None:
        return rhs & ~_RELATIONS[negated](lhs, frame)
    union = _UNIONS[op]
    # pairs (a, b) with b related to a: keep such b, and such a (a related to b by the inverse)
    return (rhs & _RELATIONS[union](lhs, frame)) | (lhs & _RELATIONS[_INVERSE[union]](rhs, frame))


def _traces_with(mask: Mask, frame: Frame) -> Mask:
    out = np.zeros(frame.num_traces, dtype=bool)
    out[frame.trace_codes[mask]] = True
    return out


def has_parent_in(mask: Mask, frame: Frame) -> Mask:
    """Rows whose parent is in ``mask`` (they are children of it)."""
    parents = frame.parent_rows
    out = np.zeros(frame.n, dtype=bool)
    linked = parents >= 0
    out[linked] = mask[parents[linked]]
    return out


def is_parent_of(mask: Mask, frame: Frame) -> Mask:
    """Rows that are the parent of some row in ``mask``."""
    parents = frame.parent_rows[mask]
    out = np.zeros(frame.n, dtype=bool)
    out[parents[parents >= 0]] = True
    return out


def has_ancestor_in(mask: Mask, frame: Frame) -> Mask:
    """Rows with some ancestor in ``mask``."""
    parents = frame.parent_rows
    out = np.zeros(frame.n, dtype=bool)
    rows = np.arange(frame.n)
    current = parents.copy()
    for _ in range(frame.n):  # depth bound; cycles in bad data stop here
        live = current >= 0
        if not live.any():
            break
        rows, current = rows[live], current[live]
        out[rows[mask[current]]] = True
        current = parents[current]
    return out


def is_ancestor_of(mask: Mask, frame: Frame) -> Mask:
    """Rows that are an ancestor of some row in ``mask``."""
    parents = frame.parent_rows
    out = np.zeros(frame.n, dtype=bool)
    current = np.unique(parents[mask])
    for _ in range(frame.n):
        current = current[current >= 0]
        current = current[~out[current]]  # already-marked rows have their ancestors marked too
        if current.size == 0:
            break
        out[current] = True
        current = np.unique(parents[current])
    return out


def has_sibling_in(mask: Mask, frame: Frame) -> Mask:
    """Rows sharing their parent with a different row in ``mask``."""
    parents = frame.parent_rows
    linked = parents >= 0
    counts = np.bincount(parents[mask & linked], minlength=frame.n)
    out = np.zeros(frame.n, dtype=bool)
    own = mask.astype(np.int64)
    out[linked] = (counts[parents[linked]] - own[linked]) > 0
    return out


_RELATIONS = {
    Op.CHILD: has_parent_in,
    Op.PARENT: is_parent_of,
    Op.DESCENDANT: has_ancestor_in,
    Op.ANCESTOR: is_ancestor_of,
    Op.SIBLING: has_sibling_in,
}
_NEGATED = {
    Op.NOT_CHILD: Op.CHILD,
    Op.NOT_PARENT: Op.PARENT,
    Op.NOT_DESCENDANT: Op.DESCENDANT,
    Op.NOT_ANCESTOR: Op.ANCESTOR,
    Op.NOT_SIBLING: Op.SIBLING,
}
_UNIONS = {
    Op.UNION_CHILD: Op.CHILD,
    Op.UNION_PARENT: Op.PARENT,
    Op.UNION_DESCENDANT: Op.DESCENDANT,
    Op.UNION_ANCESTOR: Op.ANCESTOR,
    Op.UNION_SIBLING: Op.SIBLING,
}
_INVERSE = {
    Op.CHILD: Op.PARENT,
    Op.PARENT: Op.CHILD,
    Op.DESCENDANT: Op.ANCESTOR,
    Op.ANCESTOR: Op.DESCENDANT,
    Op.SIBLING: Op.SIBLING,
}
