"""CI proof that the bench scripts run end to end and write well-formed outputs (timings never asserted)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import run_all
from bench.storage_cost_model import Prices, Rates, Requests, Result, monthly_cost

ROOT = Path(__file__).resolve().parents[2]
SPANS = 4000  # small: the point is that every contender runs, not the figures


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """One ``python -m bench.storage_cost --quick`` over a few thousand spans, shared by the tests."""
    out = tmp_path_factory.mktemp("storage_cost")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.storage_cost",
            "--quick",
            "--spans",
            str(SPANS),
            "--lookups",
            "20",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done, out


def test_storage_cost_quick_exits_cleanly(quick_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    done, _ = quick_run
    assert done.returncode == 0, done.stdout + done.stderr
    assert "| store | bytes/span |" in done.stdout
    assert "tempo_py <= 1/10 of raw OTLP protobuf" in done.stdout


def test_storage_cost_json_has_every_contender(
    quick_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _, out = quick_run
    doc = json.loads((out / "storage_cost.json").read_text())
    assert doc["run"]["spans"] >= SPANS
    assert doc["run"]["failures"] == []
    assert doc["prices"]["as_of"] and doc["prices"]["class_a_per_1000"] > 0
    by_name = {r["name"]: r for r in doc["results"]}
    measured = [r for r in doc["results"] if r["skipped"] is None]
    assert {r["name"].split(" ")[0] for r in measured} >= {"OTLP", "tempo_py", "Jaeger-style"}
    assert len(measured) == 5
    for r in measured:
        assert r["spans"] == doc["run"]["spans"]
        assert r["stored_bytes"] > 0 and r["bytes_per_span"] > 0
        assert r["monthly"]["total_usd"] > 0
    assert by_name["OTLP protobuf (raw)"]["ratio_to_raw_otlp"] == pytest.approx(1.0)
    phoenix = by_name["Arize Phoenix (SQLite)"]
    assert phoenix["skipped"] and "--quick" in phoenix["skipped"]


def test_storage_cost_tempo_row_has_lookups_and_columns(
    quick_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _, out = quick_run
    doc = json.loads((out / "storage_cost.json").read_text())
    tempo = next(r for r in doc["results"] if r["name"].startswith("tempo_py"))
    assert tempo["lookups"] == 20 and tempo["lookup_p50_ms"] > 0
    assert tempo["ingest_spans_per_s"] > 0
    cols = tempo["details"]["column_bytes"]
    assert {"trace_id", "span_id", "attrs"} <= set(cols)
    assert sum(cols.values()) <= tempo["details"]["objects_bytes"]["data.parquet"]
    # every block write is counted: at least data + bloom + meta.json
    assert tempo["details"]["backend_requests_ingest"]["put"] >= 3
    jaeger = next(r for r in doc["results"] if r["name"].startswith("Jaeger-style"))
    assert jaeger["details"]["table_rows"]["traces"] == doc["run"]["spans"]
    assert jaeger["details"]["table_rows"]["tag_index"] > jaeger["details"]["table_rows"]["traces"]


def test_storage_cost_markdown_and_chart(quick_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    done, out = quick_run
    md = (out / "storage_cost.md").read_text()
    for heading in ("## Targets", "## What tempo_py's bytes are", "## Cost model", "## Per store"):
        assert heading in md
    assert "python -m bench.storage_cost --quick" in md
    if importlib.util.find_spec("matplotlib") is not None:
        assert (out / "storage_cost.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert "chart skipped: matplotlib is not installed" in done.stdout


def test_monthly_cost_model() -> None:
    prices, rates = Prices(), Rates(ingest_spans_per_s=10_000, retention_days=30, queries_per_s=1)
    result = Result(
        name="x",
        spans=1000,
        stored_bytes=1000 * 100,
        requests=Requests(class_a_per_span=0.001, class_b_per_query=2.0),
    )
    cost = monthly_cost(result, prices, rates)
    spans = 10_000 * 86_400 * 30
    assert cost.stored_gb == pytest.approx(spans * 100 / 2**30)
    assert cost.storage_usd == pytest.approx(cost.stored_gb * 0.023)  # under 50 TB: first tier only
    assert cost.write_requests_usd == pytest.approx(spans * 0.001 * 0.005 / 1000)
    assert cost.read_requests_usd == pytest.approx(86_400 * 30 * 2.0 * 0.0004 / 1000)
    no_index = Result(name="y", spans=1, stored_bytes=1, requests=Requests(class_b_per_query=None))
    assert monthly_cost(no_index, prices, rates).read_requests_usd is None
    # tiers: 60 TB = 50 TB at 0.023 + 10 TB at 0.022
    assert prices.storage_usd(60 * 1024) == pytest.approx(50 * 1024 * 0.023 + 10 * 1024 * 0.022)


def test_run_all_reports_a_failing_bench() -> None:
    outcome = run_all.run_one("no_such_bench_module", quick=True, timeout=60)
    assert outcome.code not in (0, None)
    assert outcome.status.startswith("FAILED")
    assert "no_such_bench_module" in outcome.tail
    text = run_all.summary([outcome, run_all.Outcome("absent", None)])
    assert "FAILED" in text and "not present" in text and "last lines" in text


def test_run_all_lists_only_present_benches() -> None:
    present = run_all.available(run_all.BENCHES)
    assert "storage_cost" in present
    assert all((ROOT / "bench" / f"{n}.py").is_file() for n in present)
    with pytest.raises(SystemExit):
        run_all.main(["--only", "not_a_bench"])


def test_every_other_bench_runs_quick() -> None:
    """``run_all --quick`` over ingest, lookup, compaction and search: each script works end to end."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.run_all", "--quick", "--only", "ingest,lookup,compaction,search"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for name in ("ingest", "lookup", "compaction", "search"):
        assert name in done.stdout
