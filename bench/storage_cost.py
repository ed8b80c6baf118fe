"""Storage cost: the same N spans stored by tempo_py and by what a user would otherwise pick.

    python -m bench.storage_cost                 # 1M spans, all contenders, writes bench/results/
    python -m bench.storage_cost --quick         # 20k spans, no Phoenix, writes to a temp folder
    python -m bench.storage_cost --spans 200000 --phoenix-spans 0 --out /tmp/sc

Contenders, in one run over one generated corpus (``bench.storage_cost_corpus``): raw OTLP
protobuf, protobuf + zstd, OTLP/JSON + gzip, tempo_py through a real ``tempo-py serve``
(``bench.storage_cost_tempo``), a Jaeger-style indexed SQLite store (``bench.storage_cost_jaeger``)
and Arize Phoenix in its own venv (``bench.storage_cost_phoenix``). Phoenix inserts only a few
hundred spans/s here, so it stores the first ``--phoenix-spans`` spans of the corpus (whole
requests) and its bytes per span are taken over those. Every figure is reported, none asserted.
Exit code: 0, or 1 when a contender other than Phoenix failed (its error is printed).
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.storage_cost_chart import write_chart
from bench.storage_cost_corpus import Corpus, build_corpus, json_gzip, raw_protobuf, zstd_protobuf
from bench.storage_cost_jaeger import run_jaeger
from bench.storage_cost_model import Prices, Rates, Result
from bench.storage_cost_phoenix import NAME as PHOENIX
from bench.storage_cost_phoenix import run_phoenix
from bench.storage_cost_report import markdown, table, targets, write_json
from bench.storage_cost_tempo import run_tempo

BENCH_DIR = Path(__file__).resolve().parent
QUICK_SPANS = 20_000
CONTENDERS = ("raw", "zstd", "json", "tempo", "jaeger", "phoenix")


def _args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.storage_cost",
        description="Storage cost: the same spans in tempo_py and in the alternatives.",
    )
    p.add_argument(
        "--spans",
        type=int,
        default=None,
        help=f"spans in the corpus (default 1,000,000; --quick: {QUICK_SPANS:,})",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_SPANS:,} spans, 50 lookups, no Phoenix, outputs to a temp folder unless --out",
    )
    p.add_argument("--seed", type=int, default=42, help="workload seed (default 42)")
    p.add_argument("--lookups", type=int, default=200, help="trace-by-ID lookups per store (default 200)")
    p.add_argument(
        "--phoenix-spans",
        type=int,
        default=None,
        help="spans sent to Phoenix (default 25,000; 0 = skip; --quick: 0)",
    )
    p.add_argument("--phoenix-venv", type=Path, default=BENCH_DIR / ".cache" / "phoenix-venv")
    p.add_argument("--only", default=",".join(CONTENDERS), help=f"comma list of {', '.join(CONTENDERS)}")
    p.add_argument("--out", type=Path, default=None, help="output folder (default bench/results)")
    p.add_argument("--workdir", type=Path, default=None, help="scratch folder (default: a temp folder)")
    p.add_argument("--ingest-rate", type=float, default=10_000.0, help="priced spans/s (default 10,000)")
    p.add_argument("--query-rate", type=float, default=1.0, help="priced lookups/s (default 1)")
    p.add_argument("--retention-days", type=int, default=30, help="priced retention (default 30)")
    args = p.parse_args(argv)
    if args.spans is None:
        args.spans = QUICK_SPANS if args.quick else 1_000_000
    if args.quick:
        args.lookups = min(args.lookups, 50)
    if args.phoenix_spans is None:
        args.phoenix_spans = 0 if args.quick else 25_000
    unknown = set(args.only.split(",")) - set(CONTENDERS)
    if unknown:
        p.error(f"--only: unknown contender(s) {', '.join(sorted(unknown))}")
    return args


def _attempt(name: str, run: Callable[[], Result], failures: list[str]) -> Result:
    """Run one contender; a crash becomes a skipped row plus a recorded failure."""
    began = time.perf_counter()
    sys.stderr.write(f"== {name}\n")
    try:
        result = run()
    except Exception as e:
        traceback.print_exc()
        failures.append(f"{name}: {type(e).__name__}: {e}")
        return Result(name=name, skipped=f"failed: {type(e).__name__}: {str(e).splitlines()[0][:200]}")
    sys.stderr.write(f"   {name}: done in {time.perf_counter() - began:,.1f}s\n")
    return result


def _phoenix(args: argparse.Namespace, corpus: Corpus, work: Path) -> Result:
    if args.phoenix_spans <= 0:
        why = "--quick (Phoenix installs a heavy venv)" if args.quick else "--phoenix-spans 0"
        return Result(name=PHOENIX, skipped=f"not run ({why})")
    head = corpus.head(args.phoenix_spans)
    result = run_phoenix(head, work / "phoenix", head.sample_ids(args.lookups, args.seed), args.phoenix_venv)
    if result.skipped is None and head.spans < corpus.spans:
        result.notes.insert(
            0,
            f"stored the first {head.spans:,} spans of the corpus (whole requests): "
            "bytes per span over those",
        )
    return result


def run(args: argparse.Namespace, work: Path, failures: list[str]) -> tuple[list[Result], Corpus]:
    """Build the corpus and measure every selected contender."""
    only = set(args.only.split(","))
    corpus = build_corpus(work / "requests.bin", args.spans, args.seed)
    ids = corpus.sample_ids(args.lookups, args.seed)
    steps: list[tuple[str, str, Callable[[], Result]]] = [
        ("raw", "OTLP protobuf (raw)", lambda: raw_protobuf(corpus)),
        ("zstd", "OTLP protobuf + zstd", lambda: zstd_protobuf(corpus)),
        ("json", "OTLP JSON + gzip", lambda: json_gzip(corpus)),
        ("tempo", "tempo_py (Parquet blocks)", lambda: run_tempo(corpus, work / "tempo", ids)),
        ("jaeger", "Jaeger-style indexed (SQLite)", lambda: run_jaeger(corpus, work / "jaeger", ids)),
        ("phoenix", PHOENIX, lambda: _phoenix(args, corpus, work)),
    ]
    results = [_attempt(name, fn, failures) for key, name, fn in steps if key in only]
    return results, corpus


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison and write storage_cost.{md,json,png}."""
    args = _args(argv)
    out: Path = args.out or (
        Path(tempfile.mkdtemp(prefix="storage_cost-")) if args.quick else BENCH_DIR / "results"
    )
    out.mkdir(parents=True, exist_ok=True)
    prices = Prices()
    rates = Rates(
        ingest_spans_per_s=args.ingest_rate, retention_days=args.retention_days, queries_per_s=args.query_rate
    )
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="storage_cost-work-", dir=args.workdir) as tmp:
        results, corpus = run(args, Path(tmp), failures)
    command = "python -m bench.storage_cost " + shlex.join(argv if argv is not None else sys.argv[1:])
    info = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {_cpus()} CPUs, Python {platform.python_version()}",
        "command": command.strip(),
        "spans": corpus.spans,
        "traces": len(corpus.trace_ids),
        "requests": corpus.requests,
        "seed": args.seed,
        "lookups": args.lookups,
        "failures": failures,
    }
    (out / "storage_cost.md").write_text(markdown(results, prices, rates, info))
    write_json(out / "storage_cost.json", results, prices, rates, info)
    title = f"{corpus.spans:,} spans of bench.workload, {info['date']}"
    chart_skipped = write_chart(results, out / "storage_cost.png", prices, rates, title)
    print(table(results, prices, rates))
    print()
    for line in targets(results):
        print(line)
    print(
        f"\nwrote {out / 'storage_cost.md'}, {out / 'storage_cost.json'}"
        + (f"; chart skipped: {chart_skipped}" if chart_skipped else f", {out / 'storage_cost.png'}")
    )
    for f in failures:
        print(f"FAILED {f}", file=sys.stderr)
    return 1 if failures else 0


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


if __name__ == "__main__":
    sys.exit(main())
