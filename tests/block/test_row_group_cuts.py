"""vParquet-py1 row groups end at trace boundaries, so a trace is read from one row group."""

from __future__ import annotations

import asyncio

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tempo_py.block.cache import BlockCaches
from tempo_py.block.encoding import open_block, write_block
from tempo_py.block.v1.writer import _cuts
from tempo_py.model.otlp_to_arrow import resource_spans_to_table
from tempo_py.storage.memory import MemoryStore
from tempo_py.testing.otlp_factory import rich_request
from tests.support.settings import block_settings


def _ids(lengths: list[int]) -> np.ndarray:
    rows = [np.full(16, t, dtype=np.uint8) for t, n in enumerate(lengths) for _ in range(n)]
    return np.stack(rows)


def test_groups_end_at_the_first_trace_boundary_after_the_target() -> None:
    ids = _ids([3, 3, 1, 5, 2])  # 14 rows; traces start at 0, 3, 6, 7, 12
    assert _cuts(ids, 4, final=True) == [6, 12, 14]
    assert _cuts(ids, 4, final=False) == [6, 12]  # rows 12.. wait: their trace may go on
    assert _cuts(_ids([20]), 4, final=False) == [8, 16]
    assert _cuts(_ids([20]), 4, final=True) == [8, 16, 20]  # a trace longer than 2 groups is cut


async def test_no_trace_spans_two_row_groups() -> None:
    table = resource_spans_to_table(rich_request(n_traces=40, spans_per_trace=3, seed=5).resource_spans)
    store = MemoryStore()
    meta = await write_block(store, "t", table, block_settings(row_group_spans=10))
    scan = await open_block(store, meta, BlockCaches()).scan()
    seen: dict[bytes, int] = {}
    total = 0
    for g in range(scan.num_groups):
        await scan.fetch(scan.ranges([g], ["trace_id"]), asyncio.Semaphore(1))
        ids = scan.decode([g], ["trace_id"]).column("trace_id")
        total += len(ids)
        for tid in pc.unique(ids).to_pylist():
            assert tid not in seen, f"trace in row groups {seen[tid]} and {g}"
            seen[tid] = g
    assert total == table.num_rows and scan.num_groups > 1
    assert pa.array(list(seen), pa.binary(16)).to_pylist() == sorted(seen)
