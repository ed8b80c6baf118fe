"""Tempo's attribute lists -> ours (``ATTR_TYPE``), columnar.

A Tempo attribute is ``{Key, IsArray, Value: [str], ValueInt: [int], ValueDouble: [float],
ValueBool: [bool], ValueUnsupported: JSON}``: a scalar is the one element of the list of its
type; an array of one type is that list with ``IsArray``; anything else (bytes, key-value lists,
mixed arrays) is the protobuf-JSON of the ``AnyValue`` in ``ValueUnsupported``. Scalars are mapped
with Arrow kernels; only arrays and unsupported values (rare) are built one by one as protobuf.

Attributes are handled as flat elements with the row each belongs to (:class:`AttrElems`), so
attributes from Tempo's dedicated columns can be appended and ours moved out before the lists
are rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from google.protobuf import json_format
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from tempo_py.model.schema import (
    ATTR_STRUCT,
    ATTR_TYPE,
    VT_ARRAY,
    VT_BOOL,
    VT_BYTES,
    VT_DOUBLE,
    VT_EMPTY,
    VT_INT,
    VT_KVLIST,
    VT_STR,
)

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class AttrElems:
    """Attribute structs (ATTR_STRUCT) and, for each, the row it belongs to (ascending)."""

    parent: I64
    values: pa.StructArray

    def __len__(self) -> int:
        return len(self.parent)


def lengths(arr: pa.Array) -> I64:
    """Per-row lengths of a list array (null lists count 0)."""
    return np.asarray(pc.fill_null(pc.list_value_length(arr), 0).to_numpy(zero_copy_only=False), np.int64)


def parents(arr: pa.Array) -> I64:
    """For each value of a list array, the row it belongs to."""
    return np.repeat(np.arange(len(arr), dtype=np.int64), lengths(arr))


def first(arr: pa.Array, typ: pa.DataType) -> tuple[pa.Array, npt.NDArray[np.bool_]]:
    """The first element of each list (null where empty), and which lists are non-empty."""
    n = lengths(arr)
    have = n > 0
    starts = np.concatenate([[0], np.cumsum(n)[:-1]]) if len(n) else np.zeros(0, np.int64)
    idx = pa.array(starts, pa.int64(), mask=~have)
    values = pc.list_flatten(arr)
    return pc.take(values, idx).cast(typ), have


def _special(value: AnyValue) -> tuple[int, bytes | None]:
    which = value.WhichOneof("value")
    if which is None:
        return VT_EMPTY, None
    if which == "bytes_value":
        return VT_BYTES, value.bytes_value
    if which == "array_value":
        return VT_ARRAY, value.SerializeToString()
    if which == "kvlist_value":
        return VT_KVLIST, value.SerializeToString()
    raise ValueError(f"unexpected unsupported value kind {which}")


def _array_value(strs: list[str], ints: list[int], doubles: list[float], bools: list[bool]) -> bytes:
    v = AnyValue()
    arr = v.array_value
    arr.SetInParent()
    for s in strs:
        arr.values.add().string_value = s
    for i in ints:
        arr.values.add().int_value = i
    for d in doubles:
        arr.values.add().double_value = d
    for b in bools:
        arr.values.add().bool_value = b
    out: bytes = v.SerializeToString()
    return out


def convert(lists: pa.Array) -> AttrElems:
    """Tempo attribute lists (one per row) -> attribute elements in our shape."""
    a = pc.list_flatten(lists)
    parent = parents(lists)
    n = len(a)
    key = pc.struct_field(a, "Key")
    is_array = np.asarray(pc.struct_field(a, "IsArray").to_numpy(zero_copy_only=False), np.bool_)
    sv, has_s = first(pc.struct_field(a, "Value"), pa.string())
    iv, has_i = first(pc.struct_field(a, "ValueInt"), pa.int64())
    dv, has_d = first(pc.struct_field(a, "ValueDouble"), pa.float64())
    bv, has_b = first(pc.struct_field(a, "ValueBool"), pa.bool_())
    unsupported = pc.struct_field(a, "ValueUnsupported")
    has_u = np.asarray(pc.is_valid(unsupported).to_numpy(zero_copy_only=False), np.bool_)
    scalar = ~is_array
    types = np.full(n, VT_EMPTY, np.int8)
    types[scalar & has_b] = VT_BOOL
    types[scalar & has_d] = VT_DOUBLE
    types[scalar & has_i] = VT_INT
    types[scalar & has_s] = VT_STR
    plain = scalar & (has_s | has_i | has_d | has_b)
    special = np.nonzero(~plain & (is_array | has_u))[0]
    blobs: list[bytes | None] = []
    if len(special):
        rows = pa.table(
            {
                "arr": pa.array(is_array[special]),
                "u": unsupported.take(pa.array(special)),
                "s": pc.struct_field(a, "Value").take(pa.array(special)),
                "i": pc.struct_field(a, "ValueInt").take(pa.array(special)),
                "d": pc.struct_field(a, "ValueDouble").take(pa.array(special)),
                "b": pc.struct_field(a, "ValueBool").take(pa.array(special)),
            }
        ).to_pylist()
        for j, r in enumerate(rows):
            if r["arr"]:
                types[special[j]] = VT_ARRAY
                blobs.append(_array_value(r["s"] or [], r["i"] or [], r["d"] or [], r["b"] or []))
            else:
                value = json_format.Parse(r["u"], AnyValue())
                t, blob = _special(value)
                types[special[j]] = t
                blobs.append(blob)
    where = np.full(n, len(blobs), np.int64)
    where[special] = np.arange(len(special))
    blob_col = pc.take(pa.array([*blobs, None], pa.binary()), pa.array(where))
    keep_s, keep_i = types == VT_STR, types == VT_INT
    values = pa.StructArray.from_arrays(
        [
            key.cast(pa.string()),
            pa.array(types, pa.int8()),
            pc.if_else(pa.array(keep_s), sv, pa.nulls(n, pa.string())),
            pc.if_else(pa.array(keep_i), iv, pa.nulls(n, pa.int64())),
            pc.if_else(pa.array(types == VT_DOUBLE), dv, pa.nulls(n, pa.float64())),
            pc.if_else(pa.array(types == VT_BOOL), bv, pa.nulls(n, pa.bool_())),
            blob_col,
        ],
        fields=list(ATTR_STRUCT),
    )
    return AttrElems(parent, values)


def scalar_elems(key: str, values: pa.Array) -> AttrElems:
    """Elements for one dedicated column holding a scalar per row (null: absent; for vParquet4's
    required service name, "" is absent too)."""
    valid = np.asarray(pc.is_valid(values).to_numpy(zero_copy_only=False), np.bool_)
    rows = np.nonzero(valid)[0].astype(np.int64)
    v = values.take(pa.array(rows))
    m = len(rows)
    is_int = pa.types.is_integer(values.type)
    vt = VT_INT if is_int else VT_STR
    return AttrElems(
        rows,
        pa.StructArray.from_arrays(
            [
                pa.array([key] * m, pa.string()),
                pa.array(np.full(m, vt, np.int8)),
                pa.nulls(m, pa.string()) if is_int else v.cast(pa.string()),
                v.cast(pa.int64()) if is_int else pa.nulls(m, pa.int64()),
                pa.nulls(m, pa.float64()),
                pa.nulls(m, pa.bool_()),
                pa.nulls(m, pa.binary()),
            ],
            fields=list(ATTR_STRUCT),
        ),
    )


def list_elems(key: str, lists: pa.Array) -> AttrElems:
    """Elements for one vParquet5 dedicated column (a list per row: none = absent, one = a
    scalar, more = an array of that type)."""
    n = lengths(lists)
    one = scalar_elems(key, first(lists, lists.type.value_type)[0].filter(pa.array(n == 1)))
    rows_one = np.nonzero(n == 1)[0].astype(np.int64)
    out = AttrElems(rows_one[one.parent], one.values)
    many = np.nonzero(n > 1)[0]
    if not len(many):
        return out
    is_int = pa.types.is_integer(lists.type.value_type)
    blobs = []
    for items in lists.take(pa.array(many)).to_pylist():
        blobs.append(_array_value([] if is_int else items, items if is_int else [], [], []))
    m = len(many)
    arrays = AttrElems(
        many.astype(np.int64),
        pa.StructArray.from_arrays(
            [
                pa.array([key] * m, pa.string()),
                pa.array(np.full(m, VT_ARRAY, np.int8)),
                pa.nulls(m, pa.string()),
                pa.nulls(m, pa.int64()),
                pa.nulls(m, pa.float64()),
                pa.nulls(m, pa.bool_()),
                pa.array(blobs, pa.binary()),
            ],
            fields=list(ATTR_STRUCT),
        ),
    )
    return merge([out, arrays])


def merge(parts: list[AttrElems]) -> AttrElems:
    """All elements, grouped by row; within a row, in the order of ``parts`` (a stable sort)."""
    parts = [p for p in parts if len(p)] or parts[:1]
    if len(parts) == 1:
        return parts[0]
    parent = np.concatenate([p.parent for p in parts])
    order = np.argsort(parent, kind="stable")
    values = pa.concat_arrays([p.values for p in parts]).take(pa.array(order))
    return AttrElems(parent[order], values)


def extract(elems: AttrElems, key: str, vtype: int, rows: int) -> tuple[pa.Array, AttrElems]:
    """Move the first ``key`` attribute of type ``vtype`` of each row to a column of ``rows``
    values (null where none); the rest of the elements stay."""
    keys = pc.struct_field(elems.values, "key")
    types = pc.struct_field(elems.values, "type")
    hit = np.asarray(
        pc.and_(pc.equal(keys, key), pc.equal(types, vtype)).to_numpy(zero_copy_only=False), np.bool_
    )
    typ = pa.int64() if vtype == VT_INT else pa.string()
    if not hit.any():
        return pa.nulls(rows, typ), elems
    pos = np.nonzero(hit)[0]
    hit_rows, firsts = np.unique(elems.parent[pos], return_index=True)
    chosen = pos[firsts]
    field = "int" if vtype == VT_INT else "str"
    vals = pc.struct_field(elems.values, field).take(pa.array(chosen))
    where = np.full(rows, len(chosen), np.int64)
    where[hit_rows] = np.arange(len(chosen))
    column = pc.take(pa.concat_arrays([vals, pa.nulls(1, typ)]), pa.array(where))
    keep = np.ones(len(elems), np.bool_)
    keep[chosen] = False
    idx = pa.array(np.nonzero(keep)[0])
    return column, AttrElems(elems.parent[keep], elems.values.take(idx))


def to_lists(elems: AttrElems, rows: int) -> pa.Array:
    """Rebuild one attribute list per row (ATTR_TYPE)."""
    counts = np.bincount(elems.parent, minlength=rows) if len(elems) else np.zeros(rows, np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    values = elems.values if len(elems) else pa.array([], ATTR_STRUCT)
    return pa.ListArray.from_arrays(pa.array(offsets), values, type=ATTR_TYPE)
