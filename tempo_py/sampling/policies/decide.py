"""Columnar per-trace policy evaluation: one group-by per table, no per-span Python."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

STATUS_ERROR = 2  # OTLP Status.STATUS_CODE_ERROR


@dataclass(frozen=True)
class Policy:
    """Keep a trace if it has an error span, lasts at least `min_duration_s`, else by `percentage`."""

    keep_errors: bool = True
    min_duration_s: float | None = None
    percentage: float = 100.0


def _hash_fraction(trace_ids: pa.Array) -> np.ndarray:
    # The low 8 bytes of a trace ID are random in every ID scheme we ingest (W3C, X-Ray,
    # Jaeger 128-bit), so every process maps one trace to the same fraction without state.
    fixed = pc.cast(trace_ids, pa.binary(16)) if trace_ids.type != pa.binary(16) else trace_ids
    fixed = fixed.combine_chunks() if isinstance(fixed, pa.ChunkedArray) else fixed
    raw = np.frombuffer(fixed.buffers()[1], dtype=np.uint8)[
        fixed.offset * 16 : (fixed.offset + len(fixed)) * 16
    ]
    low = raw.reshape(-1, 16)[:, 8:].copy().view(">u8").ravel()
    return low.astype(np.float64) / float(2**64)


def trace_decisions(table: pa.Table, policy: Policy) -> tuple[pa.Array, pa.Array, list[str]]:
    """Return (trace_ids, keep mask, policy name per trace) for every trace in `table`."""
    tid = pc.cast(table.column("trace_id"), pa.binary(16))
    err = pc.equal(table.column("status_code"), STATUS_ERROR)
    t = pa.table(
        {
            "trace_id": tid,
            "err": err,
            "start": table.column("start_time_unix_nano"),
            "end": table.column("end_time_unix_nano"),
        }
    )
    g = t.group_by("trace_id").aggregate([("err", "any"), ("start", "min"), ("end", "max")])
    ids = g.column("trace_id").combine_chunks()
    is_err = np.asarray(g.column("err_any").to_numpy(zero_copy_only=False), dtype=bool)
    dur_s = (
        g.column("end_max").to_numpy().astype(np.int64) - g.column("start_min").to_numpy().astype(np.int64)
    ) / 1e9
    n = len(ids)
    names = np.full(n, "probabilistic", dtype=object)
    keep = _hash_fraction(ids) < policy.percentage / 100.0
    if policy.min_duration_s is not None:
        slow = dur_s >= policy.min_duration_s
        names[slow] = "latency"
        keep |= slow
    if policy.keep_errors:
        names[is_err] = "status_code"
        keep |= is_err
    return ids, pa.array(keep), [str(x) for x in names]


def filter_table(table: pa.Table, policy: Policy) -> pa.Table:
    """The rows of `table` whose trace the policy keeps."""
    if table.num_rows == 0:
        return table
    ids, keep, _ = trace_decisions(table, policy)
    kept = pc.filter(ids, keep)
    return table.filter(pc.is_in(pc.cast(table.column("trace_id"), pa.binary(16)), value_set=kept))
