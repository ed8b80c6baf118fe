"""The evaluator over an in-memory span table: the dataset's query table, plus output details."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from search_dataset import ORDER, QUERIES, base_time_ns, resource_spans, trace_id

from tempo_py.model.otlp_to_arrow import resource_spans_to_table
from tempo_py.traceql import TraceQLUnsupportedError, parse_and_validate
from tempo_py.traceql.eval import Frame, evaluate_search
from tempo_py.traceql.eval.output import row_values
from tempo_py.traceql.eval.pipeline import Spansets

NAMES = {trace_id(n): n for n in ORDER}


@pytest.fixture(scope="module")
def frame() -> Frame:
    return Frame(resource_spans_to_table(resource_spans(ORDER, base_time_ns())))


def matched(query: str, frame: Frame) -> tuple[list[str], Spansets]:
    sets = evaluate_search(parse_and_validate(query), frame)
    ids = frame.trace_ids.to_pylist()
    names = {NAMES[ids[int(c)]] for c in sets.trace}
    return [n for n in ORDER if n in names], sets


@pytest.mark.parametrize(("query", "expected"), QUERIES)
def test_query_table(query: str, expected: list[str], frame: Frame) -> None:
    assert matched(query, frame)[0] == expected


def test_spanset_and_keeps_both_sides_spans(frame: Frame) -> None:
    _, sets = matched('{ name = "hash" } && { name = "POST /login" }', frame)
    names = row_values_of(frame, "name", sets.rows)
    assert sorted(names) == ["POST /login", "hash"]


def test_structural_child_returns_right_hand_spans(frame: Frame) -> None:
    _, sets = matched('{ name = "GET /checkout" } > { }', frame)
    assert row_values_of(frame, "name", sets.rows) == ["charge"]


def test_union_structural_returns_both_sides(frame: Frame) -> None:
    _, sets = matched('{ name = "charge" } &> { name = "pay" }', frame)
    assert sorted(row_values_of(frame, "name", sets.rows)) == ["charge", "pay"]


def test_by_splits_spansets_and_labels_them(frame: Frame) -> None:
    _, sets = matched('{ trace:rootService = "frontend" } | by(resource.service.name)', frame)
    labels = sorted(dict(a)["by(resource.service.name)"] for a in sets.attrs)
    # one spanset per (trace, service): T1 x3, T2 x2, T5 x2, T6 x1
    assert labels == ["api", "catalog", "checkout", "frontend", "frontend", "frontend", "frontend", "payment"]


def test_scalar_filter_records_aggregate(frame: Frame) -> None:
    _, sets = matched('{ name = "step" } | count() > 2', frame)
    assert sets.attrs == ((("count()", 3),),)


def test_coalesce_merges_spansets_of_a_trace(frame: Frame) -> None:
    _, sets = matched("{ } | by(resource.service.name) | coalesce()", frame)
    assert sets.count == len(ORDER)


def test_select_is_recorded(frame: Frame) -> None:
    _, sets = matched("{ } | select(span.http.route, resource.service.name)", frame)
    assert [str(a) for a in sets.select] == ["span.http.route", "resource.service.name"]


def test_missing_attribute_never_matches_not_equal(frame: Frame) -> None:
    assert matched('{ span.db.system != "mysql" }', frame)[0] == ["T2"]
    assert matched("{ span.db.system = nil && kind = client }", frame)[0] == ["T1"]
    assert matched("{ !(span.db.system = nil) }", frame)[0] == ["T2"]


def test_arithmetic_in_filters(frame: Frame) -> None:
    assert matched("{ duration * 2 > 3s }", frame)[0] == ["T4"]
    assert matched("{ span.step + 1 = 4 }", frame)[0] == ["T4"]
    assert matched("{ span.step % 2 = 0 }", frame)[0] == ["T4"]


def test_regex_is_anchored(frame: Frame) -> None:
    assert matched('{ name =~ "GET" }', frame)[0] == []
    assert matched('{ name =~ "GET.*" }', frame)[0] == ["T1", "T2", "T5", "T6"]


def test_child_count_and_nested_set(frame: Frame) -> None:
    assert matched("{ span:childCount = 3 }", frame)[0] == ["T4"]
    assert matched("{ nestedSetParent = -1 && nestedSetRight - nestedSetLeft = 7 }", frame)[0] == ["T4"]
    # Tempo's roots have nestedSetParent -1 (Traces Drilldown's root-span filter is `< 0`)
    roots = matched("{ nestedSetParent < 0 }", frame)[0]
    assert roots and roots == matched("{ nestedSetParent = -1 }", frame)[0]


def test_metrics_queries_are_unsupported(frame: Frame) -> None:
    with pytest.raises(TraceQLUnsupportedError):
        evaluate_search(parse_and_validate("{ } | rate()"), frame)


def test_empty_frame() -> None:
    empty = Frame(resource_spans_to_table([]))
    assert matched("{ } | count() > 1", empty)[1].count == 0


def row_values_of(frame: Frame, column: str, rows: np.ndarray) -> list[object]:  # type: ignore[type-arg]
    from tempo_py.traceql.eval.values import STR, Value

    return row_values(Value({STR: pa.array(frame.column(column))}), rows)
