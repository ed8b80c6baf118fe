"""compare() over live data, blocks and a mix, against counts computed here from the spans."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from dataset import END_S, SECOND, START_S, oracle_interval, oracle_intervals
from test_query_table import SETTINGS, SPANS, TENANT, _engine

from tempo_py.querier.metrics.api import parse_metrics_request
from tempo_py.querier.metrics.response import range_json

STEP = 60
STATUS = ("unset", "ok", "error")
KINDS = ("unspecified", "internal", "server", "client", "producer", "consumer")


def _oracle() -> Counter[tuple[str, str, str, int]]:
    """(meta type, attribute, value, sample timestamp ms) -> spans."""
    s, e, _ = oracle_intervals(START_S * SECOND, END_S * SECOND, STEP * SECOND)
    out: Counter[tuple[str, str, str, int]] = Counter()
    for span in SPANS:
        i = oracle_interval(span.start_ns, s, e, STEP * SECOND)
        if i is None:
            continue
        ts = (s + (i + 1) * STEP * SECOND) // 1_000_000
        meta = "selection" if span.status == 2 else "baseline"
        for attr, value in (
            ("name", span.name),
            ("status", STATUS[span.status]),
            ("kind", KINDS[span.kind]),
            ("resource.service.name", span.service),
        ):
            out[(meta, attr, value, ts)] += 1
            out[(meta + "_total", attr, "nil", ts)] += 1
    return out


@pytest.mark.parametrize("layout", ["live", "blocks", "mixed"])
async def test_compare_counts_selection_and_baseline(layout: str) -> None:
    engine = await _engine(layout)
    params = {
        "q": "{ } | compare({ status = error }, 100)",
        "start": str(START_S),
        "end": str(END_S),
        "step": f"{STEP}s",
    }
    req = parse_metrics_request(params, SETTINGS, instant=False)
    result, stats = await engine.query(TENANT, req)
    body = range_json(result, req, stats)
    got: Counter[tuple[str, str, str, int]] = Counter()
    for series in body["series"]:
        labels: dict[str, Any] = {lab["key"]: lab["value"] for lab in series["labels"]}
        meta = labels.pop("__meta_type")["stringValue"]
        ((attr, value),) = labels.items()
        if attr not in ("name", "status", "kind", "resource.service.name"):
            continue
        for sample in series.get("samples", []):
            if sample["value"]:
                got[(meta, attr, value["stringValue"], int(sample["timestampMs"]))] += int(sample["value"])
    expected = _oracle()
    assert expected and any(k[0] == "selection" for k in expected)
    assert got == expected


async def test_compare_top_n_and_time_window() -> None:
    engine = await _engine("live")
    window_start = (START_S + 120) * SECOND
    window_end = (START_S + 300) * SECOND
    params = {
        "q": f"{{ }} | compare({{ status = error }}, 2, {window_start}, {window_end})",
        "start": str(START_S),
        "end": str(END_S),
        "step": f"{STEP}s",
    }
    req = parse_metrics_request(params, SETTINGS, instant=False)
    result, stats = await engine.query(TENANT, req)
    names: Counter[str] = Counter()
    selected = 0
    for series in range_json(result, req, stats)["series"]:
        labels = {lab["key"]: lab["value"] for lab in series["labels"]}
        meta = labels["__meta_type"]["stringValue"]
        if "name" in labels:
            names[meta] += 1
            if meta == "selection_total":
                selected = sum(int(p["value"]) for p in series["samples"])
    assert names["baseline"] == 2 and names["selection"] <= 2
    assert names["baseline_total"] == 1
    expected = sum(
        1
        for span in SPANS
        if span.status == 2 and window_start <= span.start_ns < window_end and span.start_ns <= END_S * SECOND
    )
    assert selected == expected > 0
