"""OTLP -> span table -> OTLP is lossless for every field and AnyValue type."""

from __future__ import annotations

import pyarrow as pa

from tempo_py.model.arrow_to_otlp import table_to_resource_spans
from tempo_py.model.otlp_to_arrow import resource_spans_to_table
from tempo_py.model.schema import SPAN_SCHEMA
from tempo_py.model.table_ops import dedupe_spans, sort_spans
from tempo_py.testing.otlp_factory import canonical_spans, rich_request


def test_roundtrip_every_field() -> None:
    req = rich_request()
    table = resource_spans_to_table(req.resource_spans)
    assert table.schema == SPAN_SCHEMA
    assert table.num_rows == 2 * 2 * 3 * 4
    back = table_to_resource_spans(table)
    assert canonical_spans(back) == canonical_spans(list(req.resource_spans))


def test_dedicated_columns_hold_well_known_attributes() -> None:
    table = resource_spans_to_table(rich_request().resource_spans)
    assert set(table.column("service_name").to_pylist()) == {"svc-a-0", "svc-a-1"}
    assert set(table.column("http_response_status_code").to_pylist()) == {200}
    keys = {a["key"] for attrs in table.column("attrs").to_pylist() for a in attrs}
    assert "http.response.status_code" not in keys and "str" in keys


def test_dedupe_keeps_shared_spans_and_drops_copies() -> None:
    table = resource_spans_to_table(rich_request(n_traces=1, spans_per_trace=2).resource_spans)
    twice = dedupe_spans(pa.concat_tables([table, table]))
    assert twice.num_rows == table.num_rows
    assert sort_spans(twice).equals(sort_spans(table))


def test_dedupe_prefers_the_latest_end_time_whatever_the_order() -> None:
    table = resource_spans_to_table(rich_request(n_traces=1, spans_per_trace=1, seed=2).resource_spans)
    one = table.slice(0, 1)
    ends = one.column("end_time_unix_nano").to_pylist()
    done = one.set_column(8, one.schema.field(8), pa.array([ends[0] + 1000], pa.uint64()))
    for rows in ([one, done], [done, one]):
        out = dedupe_spans(pa.concat_tables(rows))
        assert out.num_rows == 1 and out.column("end_time_unix_nano")[0].as_py() == ends[0] + 1000


def test_packed_tables_unpack_to_the_plain_table_and_hold_less() -> None:
    from tempo_py.model.packing import unify_dictionaries, unpack

    req = rich_request(n_traces=5, spans_per_trace=4, seed=6)
    plain = resource_spans_to_table(req.resource_spans)
    packed = resource_spans_to_table(req.resource_spans, packed=True)
    assert packed.nbytes < plain.nbytes
    assert unpack(packed).equals(plain)
    # filter and concat keep working on packed tables
    both = pa.concat_tables([packed, packed.slice(3, 5)])
    assert unpack(both).equals(pa.concat_tables([plain, plain.slice(3, 5)]))
    other = resource_spans_to_table(
        rich_request(n_traces=2, spans_per_trace=2, seed=7).resource_spans, packed=True
    )
    mixed = unify_dictionaries(pa.concat_tables([packed, other]))  # take across chunks needs one dictionary
    order = list(range(mixed.num_rows))[::-1]
    assert unpack(mixed.take(order)).equals(unpack(pa.concat_tables([packed, other])).take(order))
