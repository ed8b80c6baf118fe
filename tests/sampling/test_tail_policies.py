"""Unit tests of the shared per-trace policy evaluation (tail sampling and content retention)."""

from __future__ import annotations

import os

import pyarrow as pa

from tempo_py.sampling.policies import Policy, trace_decisions
from tempo_py.sampling.policies.decide import filter_table


def _table(n_traces: int, spans: int = 3) -> tuple[pa.Table, set[bytes], set[bytes]]:
    tids, starts, ends, codes = [], [], [], []
    errors: set[bytes] = set()
    slow: set[bytes] = set()
    for i in range(n_traces):
        tid = os.urandom(16)
        is_err, is_slow = i % 10 == 0, i % 10 == 1
        if is_err:
            errors.add(tid)
        if is_slow:
            slow.add(tid)
        for s in range(spans):
            tids.append(tid)
            starts.append(1_000_000_000 * 1000 + s)
            ends.append(1_000_000_000 * 1000 + (3_000_000_000 if is_slow and s == spans - 1 else 50_000_000))
            codes.append(2 if is_err and s == 1 else 0)
    t = pa.table(
        {
            "trace_id": pa.array(tids, pa.binary()),
            "start_time_unix_nano": pa.array(starts, pa.uint64()),
            "end_time_unix_nano": pa.array(ends, pa.uint64()),
            "status_code": pa.array(codes, pa.int32()),
        }
    )
    return t, errors, slow


def test_errors_and_slow_kept_rest_sampled_within_bounds() -> None:
    n = 4000
    t, errors, slow = _table(n)
    pol = Policy(keep_errors=True, min_duration_s=2.0, percentage=10.0)
    ids, keep, names = trace_decisions(t, pol)
    kept = {bytes(x) for x, k in zip(ids.to_pylist(), keep.to_pylist(), strict=True) if k}
    assert errors <= kept and slow <= kept
    rest = n - len(errors) - len(slow)
    rest_kept = len(kept - errors - slow)
    # binomial(3200, 0.1): mean 320, sd ~17; 5 sd bounds
    assert abs(rest_kept - rest * 0.1) < 5 * (rest * 0.1 * 0.9) ** 0.5
    assert names.count("status_code") == len(errors)
    assert names.count("latency") == len(slow)


def test_decision_is_deterministic_across_splits() -> None:
    t, _, _ = _table(2000)
    pol = Policy(min_duration_s=2.0, percentage=25.0)
    whole = set(filter_table(t, pol).column("trace_id").to_pylist())
    half = t.num_rows // 2
    parts = filter_table(t.slice(0, half), pol).column("trace_id").to_pylist()
    parts += filter_table(t.slice(half), pol).column("trace_id").to_pylist()
    assert set(parts) == whole
    # whole traces: every span of a kept trace is kept
    out = filter_table(t, pol)
    assert out.num_rows == 3 * len(whole)


def test_late_spans_follow_first_verdict_across_cut() -> None:
    from tempo_py.sampling.policies.cache import TailSampler

    t, errors, _ = _table(2000)
    sampler = TailSampler(Policy(min_duration_s=2.0, percentage=0.0))
    # first cut: spans 0..1 of every trace (the slow span, last, is not there yet)
    first = t.filter(pa.array([i % 3 != 2 for i in range(t.num_rows)]))
    late = t.filter(pa.array([i % 3 == 2 for i in range(t.num_rows)]))
    out1 = sampler("single-tenant", first)
    assert set(out1.column("trace_id").to_pylist()) == errors
    out2 = sampler("single-tenant", late)
    # slow traces were judged (dropped) at the first cut: their late slow span follows
    assert set(out2.column("trace_id").to_pylist()) == errors
    judged = sum(sampler.counts.values())
    assert judged == 2000
