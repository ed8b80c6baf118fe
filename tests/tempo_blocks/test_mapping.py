"""Pieces of the Tempo mapping that the fixtures do not all exercise: dedicated-column assignment
(every scope and type), multi-valued vParquet5 dedicated values, Tempo's row-group index."""

from __future__ import annotations

import base64
import json

import pyarrow as pa
import pyarrow.compute as pc
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from tempo_py.block.meta import BlockMeta
from tempo_py.block.tempo_vparquet.attrs import list_elems, scalar_elems
from tempo_py.block.tempo_vparquet.index import RowGroupIndex
from tempo_py.block.tempo_vparquet.meta import DedicatedColumn, dedicated_columns
from tempo_py.model.schema import VT_ARRAY, VT_INT, VT_STR


def _meta(version: str, columns: list[dict[str, object]]) -> BlockMeta:
    doc = {
        "format": version,
        "blockID": "46d03fe3-4b47-4b64-81e7-f69dbd86762f",
        "tenantID": "t",
        "startTime": "2026-12-01T23:03:13Z",
        "endTime": "2026-12-01T23:54:37Z",
        "totalObjects": 1,
        "size": 10,
        "bloomShards": 1,
        "footerSize": 5,
        "dedicatedColumns": columns,
    }
    return BlockMeta.from_json(json.dumps(doc))


def test_spare_columns_are_assigned_in_order_per_scope_and_type() -> None:
    cols = [
        {"s": "resource", "n": "k8s.cluster.name"},
        {"n": "http.request.method"},
        {"n": "http.response.status_code", "t": "int"},
        {"s": "resource", "n": "k8s.namespace.name"},
        {"s": "event", "n": "exception.type"},
        {"n": "url.path"},
    ]
    v5 = dedicated_columns(_meta("vParquet5", cols))
    assert v5 == [
        DedicatedColumn("resource", "k8s.cluster.name", "string", "String01"),
        DedicatedColumn("span", "http.request.method", "string", "String01"),
        DedicatedColumn("span", "http.response.status_code", "int", "Int01"),
        DedicatedColumn("resource", "k8s.namespace.name", "string", "String02"),
        DedicatedColumn("event", "exception.type", "string", "String01"),
        DedicatedColumn("span", "url.path", "string", "String02"),
    ]
    # vParquet4 has string columns for resources and spans only: the rest is ignored, as in Tempo
    v4 = dedicated_columns(_meta("vParquet4", cols))
    assert [(d.scope, d.key, d.column) for d in v4] == [
        ("resource", "k8s.cluster.name", "String01"),
        ("span", "http.request.method", "String01"),
        ("resource", "k8s.namespace.name", "String02"),
        ("span", "url.path", "String02"),
    ]


def test_vparquet5_dedicated_lists_are_scalars_or_arrays() -> None:
    elems = list_elems("k", pa.array([[], ["a"], ["b", "c"], []], pa.list_(pa.string())))
    assert elems.parent.tolist() == [1, 2]
    rows = elems.values.to_pylist()
    assert rows[0]["type"] == VT_STR and rows[0]["str"] == "a"
    assert rows[1]["type"] == VT_ARRAY
    value = AnyValue.FromString(rows[1]["bytes"])
    assert [v.string_value for v in value.array_value.values] == ["b", "c"]
    ints = list_elems("n", pa.array([[7], [], [1, 2]], pa.list_(pa.int64())))
    assert ints.parent.tolist() == [0, 2]
    assert ints.values.to_pylist()[0]["type"] == VT_INT and ints.values.to_pylist()[0]["int"] == 7


def test_scalar_columns_skip_nulls() -> None:
    elems = scalar_elems("http.status_code", pa.array([None, 200, None, 503], pa.int64()))
    assert elems.parent.tolist() == [1, 3]
    assert pc.struct_field(elems.values, "int").to_pylist() == [200, 503]


def test_row_group_index_picks_the_first_group_whose_largest_id_is_not_smaller() -> None:
    ids = [bytes([i]) * 16 for i in (0x20, 0x80, 0xF0)]
    index = RowGroupIndex.parse(
        json.dumps({"rowGroups": [base64.b64encode(i).decode() for i in ids]}).encode()
    )
    assert index.find(b"\x10" * 16) == 0
    assert index.find(b"\x20" * 16) == 0
    assert index.find(b"\x21" * 16) == 1
    assert index.find(b"\xf0" * 16) == 2
    assert index.find(b"\xf1" * 16) is None
