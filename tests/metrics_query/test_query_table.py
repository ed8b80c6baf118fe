"""Every metrics function over live data, blocks and a mix (with spans in both), checked against
the plain-Python oracle in oracle_queries.py; instant queries; the series limit; errors."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pyarrow as pa
import pytest
from dataset import END_S, SECOND, START_S, Rec, make_spans, to_table
from oracle_queries import QUERIES, Q, Result, compute

from tempo_py.block.blocklist import Blocklist
from tempo_py.block.encoding import write_block
from tempo_py.model.table_ops import concat, filter_trace
from tempo_py.querier.metrics.api import MetricsSettings, parse_metrics_request
from tempo_py.querier.metrics.engine import MetricsEngine
from tempo_py.querier.metrics.response import instant_json, range_json
from tempo_py.querier.querier import Querier
from tempo_py.querier.search import SearchEngine
from tempo_py.storage.memory import MemoryStore
from tempo_py.traceql.errors import TraceQLUnsupportedError
from tests.support.settings import QUERIER_CONCURRENCY, block_settings

TENANT = "single-tenant"
SPANS = make_spans()
SETTINGS = MetricsSettings(max_duration_s=86400, max_response_series=0, max_intervals=10_000)


class Live:
    """A live source holding span tables, as an ingester does."""

    def __init__(self, tables: list[pa.Table]) -> None:
        self._tables = tables

    async def find_trace(self, tenant: str, trace_id: bytes) -> pa.Table:
        return concat(filter_trace(t, trace_id) for t in self.tables(tenant))

    async def settle(self) -> None:
        return None

    def tables(self, tenant: str) -> list[pa.Table]:
        return self._tables if tenant == TENANT else []


async def _engine(layout: str, spans: list[Rec] = SPANS, max_series: int = 0) -> MetricsEngine:
    store = MemoryStore()
    blocklist = Blocklist(store, builder=True, poll_interval_s=3600)
    cfg = block_settings(row_group_spans=16)
    live: list[pa.Table] = []
    third = len(spans) // 3
    if layout == "live":
        live = [to_table(spans[:third]), to_table(spans[third:])]
    elif layout == "blocks":
        for part in (spans[:third], spans[third : 2 * third], spans[2 * third :]):
            blocklist.add(await write_block(store, TENANT, to_table(part), cfg))
    else:
        # mixed: two blocks, the rest live; the second block's spans are also still live (an
        # ingester between flushing a block and dropping its tables), and some live spans twice
        blocklist.add(await write_block(store, TENANT, to_table(spans[:third]), cfg))
        blocklist.add(await write_block(store, TENANT, to_table(spans[third : 2 * third]), cfg))
        live = [to_table(spans[third:]), to_table(spans[2 * third : 2 * third + 40])]
    querier = Querier(store, blocklist, [Live(live)], concurrency=QUERIER_CONCURRENCY)  # type: ignore[list-item]
    return MetricsEngine(SearchEngine.for_querier(querier, 0), max_series)


def _got(body: dict[str, Any], instant: bool) -> Result:
    out: Result = {}
    for s in body["series"]:
        labels = []
        for label in s["labels"]:
            ((field, value),) = label["value"].items()
            labels.append((label["key"], (field, int(value) if field == "intValue" else value)))
        if instant:
            out[tuple(labels)] = {0: s["value"]}
        else:
            out[tuple(labels)] = {int(p["timestampMs"]): p["value"] for p in s.get("samples", [])}
    return out


def _close(a: Result, b: Result) -> list[str]:
    problems = []
    for labels in sorted(set(a) | set(b), key=str):
        sa, sb = a.get(labels), b.get(labels)
        if sa is None or sb is None:
            problems.append(f"series {labels}: got {sa is not None}, expected {sb is not None}")
            continue
        if set(sa) != set(sb):
            problems.append(f"series {labels}: timestamps differ {sorted(set(sa) ^ set(sb))[:5]}")
            continue
        for t in sa:
            if not math.isclose(sa[t], sb[t], rel_tol=1e-9, abs_tol=1e-12):
                problems.append(f"series {labels} at {t}: got {sa[t]}, expected {sb[t]}")
    return problems


def _params(q: Q, **extra: str) -> dict[str, str]:
    return {"q": q.text, "start": str(START_S), "end": str(END_S), **extra}


@pytest.mark.parametrize("layout", ["live", "blocks", "mixed"])
async def test_query_range_table(layout: str) -> None:
    engine = await _engine(layout)
    failures = []
    for q in QUERIES:
        req = parse_metrics_request(_params(q, step="60"), SETTINGS, instant=False)
        result, _ = await engine.query(TENANT, req)
        got = _got(range_json(result, req, _stats()), instant=False)
        expected = compute(q, SPANS, START_S * SECOND, END_S * SECOND, 60 * SECOND, instant=False)
        problems = _close(got, expected)
        if problems:
            failures.append((q.text, problems[:3]))
    assert failures == []


@pytest.mark.parametrize("layout", ["live", "blocks", "mixed"])
async def test_instant_table(layout: str) -> None:
    engine = await _engine(layout)
    failures = []
    start, end = START_S + 100, END_S - 50
    for q in QUERIES:
        if q.top is not None:
            continue  # one point per series: topk of an instant query is checked separately
        params = {"q": q.text, "start": str(start), "end": str(end)}
        req = parse_metrics_request(params, SETTINGS, instant=True)
        result, _ = await engine.query(TENANT, req)
        got = _got(instant_json(result, req, _stats()), instant=True)
        expected = compute(q, SPANS, start * SECOND, end * SECOND, 0, instant=True)
        expected = {k: {0: v[(end * SECOND) // 1_000_000]} for k, v in expected.items()}
        problems = _close(got, expected)
        if problems:
            failures.append((q.text, problems[:3]))
    assert failures == []


def _stats() -> Any:
    from tempo_py.querier.metrics.response import MetricsStats

    return MetricsStats()


async def test_step_alignment_and_timestamps() -> None:
    engine = await _engine("live")
    req = parse_metrics_request(
        {"q": "{ } | count_over_time()", "start": str(START_S), "end": str(END_S), "step": "60s"},
        SETTINGS,
        instant=False,
    )
    # start rounded down to the minute, one more minute in front; end rounded up
    assert req.start_ns == (START_S // 60 * 60 - 60) * SECOND
    assert req.end_ns == -(-END_S // 60) * 60 * SECOND
    result, _ = await engine.query(TENANT, req)
    body = range_json(result, req, _stats())
    stamps = [int(p["timestampMs"]) for p in body["series"][0]["samples"]]
    assert stamps == [(req.start_ns // SECOND + 60 * (i + 1)) * 1000 for i in range(req.intervals)]
    inside = [r for r in SPANS if req.start_ns < r.start_ns <= req.end_ns]
    assert sum(p["value"] for p in body["series"][0]["samples"]) == len(inside) > 600


async def test_span_on_a_step_boundary_counts_in_the_interval_it_ends() -> None:
    base = 1_750_000_020 * SECOND  # a multiple of 60 s
    spans = [Rec(b"\x01" * 16, b"\x02" * 8, b"", "api", "x", 2, 0, base + 60 * SECOND, 5, {})]
    engine = await _engine("live", spans)
    req = parse_metrics_request(
        {
            "q": "{ } | count_over_time()",
            "start": str(base // SECOND),
            "end": str(base // SECOND + 180),
            "step": "60",
        },
        SETTINGS,
        instant=False,
    )
    result, _ = await engine.query(TENANT, req)
    samples = range_json(result, req, _stats())["series"][0]["samples"]
    nonzero = [int(p["timestampMs"]) for p in samples if p["value"]]
    assert nonzero == [(base + 60 * SECOND) // 1_000_000]


async def test_series_limit_truncates_and_says_partial() -> None:
    engine = await _engine("blocks", max_series=2)
    req = parse_metrics_request(
        {"q": "{ } | rate() by (resource.service.name)", "start": str(START_S), "end": str(END_S)},
        SETTINGS,
        instant=False,
    )
    result, _ = await engine.query(TENANT, req)
    body = range_json(result, req, _stats())
    assert len(body["series"]) == 2
    assert body["status"] == "PARTIAL"
    assert "maximum series limit of 2" in body["message"]
    # Tempo's order: by label values
    assert [s["labels"][0]["value"]["stringValue"] for s in body["series"]] == ["api", "db"]


async def test_default_step_and_validation() -> None:
    req = parse_metrics_request(
        {"q": "{ } | rate()", "start": str(END_S - 3600), "end": str(END_S)}, SETTINGS, instant=False
    )
    assert req.step_ns == 15 * SECOND  # 1 h / 240
    with pytest.raises(ValueError, match="end must be greater than start"):
        parse_metrics_request(
            {"q": "{ } | rate()", "start": str(END_S), "end": str(END_S)}, SETTINGS, instant=False
        )
    with pytest.raises(ValueError, match="maximum allowed duration of 24h0m0s"):
        parse_metrics_request(
            {"q": "{ } | rate()", "start": str(END_S - 2 * 86400), "end": str(END_S)}, SETTINGS, instant=False
        )
    with pytest.raises(ValueError, match=r"step of 1s is too small, minimum step for given range is 8\.64s"):
        parse_metrics_request(
            {"q": "{ } | rate()", "start": str(END_S - 86400), "end": str(END_S), "step": "1s"},
            SETTINGS,
            instant=False,
        )


async def test_unsupported_queries_say_so() -> None:
    engine = await _engine("live")
    for text in ("({ } | rate()) / ({ } | rate())",):
        req = parse_metrics_request(
            {"q": text, "start": str(START_S), "end": str(END_S)}, SETTINGS, instant=False
        )
        with pytest.raises(TraceQLUnsupportedError):
            await engine.query(TENANT, req)


async def test_query_gate_applies_429_and_504() -> None:
    import aiohttp
    from aiohttp import web

    from tempo_py.querier.metrics.api import metrics_routes
    from tempo_py.querier.query_gate import QueryGate

    engine = await _engine("live")
    run = engine._run

    async def slow(*args: Any) -> Any:
        await asyncio.sleep(0.3)
        return await run(*args)

    engine._run = slow  # type: ignore[method-assign]
    params = {"q": "{ } | rate()", "start": str(START_S), "end": str(END_S)}
    # no room to wait: 429 "job queue full"; running past querier.search.query_timeout: 504
    for gate, status in ((QueryGate(1, 0, 30.0), 429), (QueryGate(1, 10, 0.1), 504)):
        engine.search.gate = gate
        app = web.Application()
        app.add_routes(metrics_routes(engine, SETTINGS, lambda headers: TENANT))
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            async with aiohttp.ClientSession() as http:
                url = f"http://127.0.0.1:{port}/api/metrics/query_range"
                async with http.get(url, params=params) as resp:
                    assert resp.status == status, await resp.text()
        finally:
            await runner.cleanup()
