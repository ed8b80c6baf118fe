"""Markdown and JSON outputs of a storage-cost run."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.storage_cost_model import Prices, Rates, Result, monthly_cost, result_to_json

TEMPO = "tempo_py"
RAW = "OTLP protobuf (raw)"
JAEGER = "Jaeger-style"


def _find(results: list[Result], prefix: str) -> Result | None:
    return next((r for r in results if r.name.startswith(prefix) and r.skipped is None and r.spans), None)


def _ms(v: float | None) -> str:
    return "n/a" if v is None else f"{v:,.1f} ms"


def _rate(v: float | None) -> str:
    return "n/a" if v is None else f"{v:,.0f}"


def _usd(v: float | None) -> str:
    return "n/a" if v is None else f"${v:,.0f}"


def table(results: list[Result], prices: Prices, rates: Rates) -> str:
    """The main comparison table (Markdown)."""
    raw = _find(results, RAW)
    raw_bps = raw.bytes_per_span if raw else 0.0
    lines = [
        "| store | bytes/span | vs raw OTLP | ingest spans/s | trace by ID p50 | GB-month | storage $/mo "
        "| requests $/mo | total $/mo |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if r.skipped is not None:
            lines.append(f"| {r.name} | skipped: {r.skipped} | | | | | | | |")
            continue
        c = monthly_cost(r, prices, rates)
        ratio = f"{r.bytes_per_span / raw_bps:.3f}x" if raw_bps else "n/a"
        reqs = _usd(c.write_requests_usd) + (
            " + lookups n/a" if c.read_requests_usd is None else f" + {_usd(c.read_requests_usd)}"
        )
        lines.append(
            f"| {r.name} | {r.bytes_per_span:,.1f} | {ratio} | {_rate(r.ingest_spans_per_s)} | "
            f"{_ms(r.lookup_p50_ms)} | {c.stored_gb:,.0f} | {_usd(c.storage_usd)} | {reqs} | "
            f"{_usd(c.total_usd)} |"
        )
    return "\n".join(lines)


def targets(results: list[Result]) -> list[str]:
    """The issue's targets, reported (never asserted)."""
    tempo, raw, jaeger = _find(results, TEMPO), _find(results, RAW), _find(results, JAEGER)
    if tempo is None:
        return ["tempo_py did not produce a result: targets not evaluated"]
    out = []
    if raw is not None:
        goal = raw.bytes_per_span / 10
        met = "met" if tempo.bytes_per_span <= goal else "NOT met"
        out.append(
            f"tempo_py <= 1/10 of raw OTLP protobuf: {tempo.bytes_per_span:,.1f} vs "
            f"{goal:,.1f} bytes/span -> {met} (ratio 1/{raw.bytes_per_span / tempo.bytes_per_span:.1f})"
        )
    if jaeger is not None:
        goal = jaeger.bytes_per_span / 3
        met = "met" if tempo.bytes_per_span <= goal else "NOT met"
        out.append(
            f"tempo_py <= 1/3 of the Jaeger-style indexed store: {tempo.bytes_per_span:,.1f} vs "
            f"{goal:,.1f} bytes/span -> {met} (ratio 1/{jaeger.bytes_per_span / tempo.bytes_per_span:.1f})"
        )
    return out


def column_table(tempo: Result, top: int = 12) -> str:
    """What dominates tempo_py's data.parquet: compressed bytes per top-level column."""
    cols: dict[str, int] = tempo.details.get("column_bytes", {})
    total = sum(cols.values()) or 1
    lines = ["| column | bytes/span | share of data.parquet |", "|---|---:|---:|"]
    for name, size in list(cols.items())[:top]:
        lines.append(f"| `{name}` | {size / tempo.spans:,.2f} | {100 * size / total:.1f} % |")
    rest = sum(list(cols.values())[top:])
    if rest:
        lines.append(
            f"| {len(cols) - top} other columns | {rest / tempo.spans:,.2f} | {100 * rest / total:.1f} % |"
        )
    kinds: dict[str, int] = tempo.details.get("objects_bytes", {})
    footer = ", ".join(f"{k} {v / tempo.spans:,.2f} B/span" for k, v in kinds.items())
    return "\n".join(lines) + f"\n\nObjects of the live blocks: {footer}."


def markdown(results: list[Result], prices: Prices, rates: Rates, run: dict[str, Any]) -> str:
    """The whole storage_cost.md."""
    parts = [
        "# Storage cost: the same spans in tempo_py and in the alternatives",
        "",
        f"Run {run['date']} on {run['machine']}: {run['spans']:,} spans of `bench.workload` "
        f"(seed {run['seed']}, {run['traces']:,} traces, {run['requests']:,} OTLP requests), "
        f"{run['lookups']} trace-by-ID lookups of random known IDs per store.",
        "",
        f"Command: `{run['command']}`",
        "",
        table(results, prices, rates),
        "",
        "## Targets (reported, not asserted)",
        "",
        *[f"- {t}" for t in targets(results)],
        "",
    ]
    tempo = _find(results, TEMPO)
    if tempo is not None and tempo.details.get("column_bytes"):
        parts += ["## What tempo_py's bytes are", "", column_table(tempo), ""]
    parts += [
        "## Cost model",
        "",
        f"S3 Standard, {prices.region}, list prices as of {prices.as_of}: storage "
        + ", ".join(
            f"${p}/GB-month" + (f" up to {u / 1024:,.0f} TB" if u != float("inf") else " beyond")
            for u, p in prices.storage_tiers
        )
        + f"; PUT/COPY/POST/LIST ${prices.class_a_per_1000}/1000; GET ${prices.class_b_per_1000}/1000; "
        "DELETE free. GB = 2^30 bytes.",
        "",
        f"Deployment priced: {rates.ingest_spans_per_s:,.0f} spans/s ingested for "
        f"{rates.retention_days} days ({rates.spans_per_month / 1e9:,.2f} billion spans) and kept "
        f"{rates.retention_days} days, so the month stores one month of ingest; "
        f"{rates.queries_per_s:g} trace-by-ID lookup/s ({rates.queries_per_month / 1e6:,.2f} million "
        "lookups). Request counts per span and per lookup are those of this run, scaled to those rates.",
        "",
        "## Per store",
        "",
    ]
    for r in results:
        parts.append(f"- **{r.name}**" + (f": skipped: {r.skipped}" if r.skipped else ""))
        if r.skipped is None:
            parts.append(f"  - requests: {r.requests.basis}")
            parts += [f"  - {n}" for n in r.notes]
    return "\n".join(parts) + "\n"


def write_json(path: Path, results: list[Result], prices: Prices, rates: Rates, run: dict[str, Any]) -> None:
    """storage_cost.json: the run, the prices, the rates and every result with derived figures."""
    raw = _find(results, RAW)
    raw_bps = raw.bytes_per_span if raw else 0.0
    doc = {
        "run": run,
        "prices": {
            **asdict(prices),
            "storage_tiers": [[None if u == float("inf") else u, p] for u, p in prices.storage_tiers],
        },
        "rates": {
            **asdict(rates),
            "spans_per_month": rates.spans_per_month,
            "queries_per_month": rates.queries_per_month,
        },
        "targets": targets(results),
        "results": [result_to_json(r, raw_bps, prices, rates) for r in results],
    }
    path.write_text(json.dumps(doc, indent=2) + "\n")
