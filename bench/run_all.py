"""Run every bench in bench/ one after another and print a summary.

    python -m bench.run_all              # full size: each bench's defaults (long: tens of minutes)
    python -m bench.run_all --quick      # each bench shrunk to prove it works (what CI runs)
    python -m bench.run_all --quick --only storage_cost,lookup

Each bench runs as ``python -m bench.<name> [--quick]`` in its own process (so one bench's memory,
threads or crash cannot disturb the next), with its output streamed through. A bench that exits
non-zero or times out is reported with its exit code and the tail of its output, the others still
run, and run_all exits 1. Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
# Every bench that accepts --quick, in the order they run; missing ones are skipped.
BENCHES = ("storage_cost", "ingest", "lookup", "compaction", "search")
_TAIL_LINES = 15


@dataclass
class Outcome:
    """One bench's run."""

    name: str
    code: int | None  # None: not found
    seconds: float = 0.0
    tail: str = ""

    @property
    def status(self) -> str:
        """ok / FAILED (exit N) / TIMEOUT / not present."""
        if self.code is None:
            return "not present"
        if self.code == 0:
            return "ok"
        return "TIMEOUT" if self.code == -1 else f"FAILED (exit {self.code})"


def available(names: Sequence[str]) -> list[str]:
    """Those of ``names`` that exist as bench/<name>.py."""
    return [n for n in names if (BENCH_DIR / f"{n}.py").is_file()]


def _pump(stream: IO[str], tail: list[str]) -> None:
    """Copy a child's output through, keeping its last lines."""
    for line in stream:
        sys.stdout.write(line)
        sys.stdout.flush()
        tail.append(line.rstrip("\n"))
        del tail[:-_TAIL_LINES]


def run_one(name: str, quick: bool, timeout: float) -> Outcome:
    """Run ``python -m bench.<name>``, streaming its output and keeping the tail for the summary."""
    cmd = [sys.executable, "-m", f"bench.{name}", *(["--quick"] if quick else [])]
    print(f"\n===== {name}: {' '.join(cmd[1:])}", flush=True)
    began = time.perf_counter()
    tail: list[str] = []
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
    )
    assert proc.stdout is not None
    # A thread reads the output so the wait below can time out even when the child goes silent.
    pump = threading.Thread(target=_pump, args=(proc.stdout, tail), daemon=True)
    pump.start()
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        code = -1
    pump.join(timeout=10)
    if code == -1:
        tail.append(f"(killed after {timeout:.0f}s)")
    return Outcome(name, code, time.perf_counter() - began, "\n".join(tail))


def summary(outcomes: Sequence[Outcome]) -> str:
    """A plain-text table of the runs, with the output tail of each failure."""
    lines = ["", "===== summary", f"{'bench':<16} {'status':<20} {'seconds':>9}"]
    for o in outcomes:
        lines.append(f"{o.name:<16} {o.status:<20} {o.seconds:>9.1f}")
    for o in outcomes:
        if o.code not in (0, None):
            lines += ["", f"--- {o.name} ({o.status}), last lines:", o.tail]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benches; 0 if all passed, 1 if any failed or timed out."""
    p = argparse.ArgumentParser(prog="python -m bench.run_all", description="Run every bench in bench/.")
    p.add_argument("--quick", action="store_true", help="shrink every bench (CI proves the scripts work)")
    p.add_argument("--only", default="", help=f"comma list among {', '.join(BENCHES)}")
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds per bench (default 900 with --quick, 14400 without)",
    )
    args = p.parse_args(argv)
    wanted = [n for n in args.only.split(",") if n] or list(BENCHES)
    unknown = set(wanted) - set(BENCHES)
    if unknown:
        p.error(f"--only: unknown bench(es) {', '.join(sorted(unknown))}")
    timeout = args.timeout or (900.0 if args.quick else 14_400.0)
    present = available(wanted)
    outcomes = [run_one(n, args.quick, timeout) for n in present]
    outcomes += [Outcome(n, None) for n in wanted if n not in present]
    print(summary(outcomes))
    return 0 if all(o.code in (0, None) for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
