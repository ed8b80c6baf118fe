"""Two real compactor processes on one bucket: every block is merged at most once, both do work."""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from pathlib import Path

from tempo_py.compactor.compactor import Compactor
from tempo_py.compactor.hooks import START_GATE_ENV
from tempo_py.storage.local import LocalStore
from tests.support.settings import block_settings

from .helpers import (
    assert_no_duplicates_at_rest,
    assert_traces_complete,
    compactor_settings_with,
    write_split_blocks,
)
from .procs import CompactorProcess, wait_idle


def _metric(text: str, name: str) -> float:
    match = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert match, name
    return float(match.group(1))


async def test_two_compactors_never_merge_the_same_block(tmp_path: Path) -> None:
    blocks = tmp_path / "blocks"
    store = LocalStore(blocks)
    sent = await write_split_blocks(
        store, "t1", windows=8, blocks_per_window=4, traces=2, now_ns=time.time_ns()
    )
    gate = tmp_path / "go"
    comp_cfg = {"max_input_blocks": 2, "compacted_block_retention": "1h"}
    procs = [
        CompactorProcess(tmp_path / f"c{i}", blocks, comp_cfg, env={START_GATE_ENV: str(gate)})
        for i in (1, 2)
    ]
    observer = Compactor(
        store, compactor_settings_with(max_input_blocks=2, compacted_block_retention=3600.0), block_settings()
    )
    try:
        for p in procs:
            p.wait_ready()
        gate.touch()  # both start their first cycle together
        await wait_idle(observer, "t1", procs)
        # each process's next cycle (100 ms) sees nothing left: its outstanding gauge drops to 0
        idle = 'tempo_compactor_outstanding_blocks{tenant="t1"} 0.0'
        deadline = time.monotonic() + 10
        while not all(idle in p.metrics() for p in procs) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)  # poll interval of the readiness check
        metrics = [p.metrics() for p in procs]
    finally:
        for p in procs:
            p.stop()

    state = await observer.scan("t1")
    merged_into: Counter[str] = Counter()
    owners: Counter[str] = Counter()
    for m in state.all_metas():
        merged_into.update(m.extra.get("compactedFrom", []))
        if "compactor" in m.extra:
            owners[m.extra["compactor"].rsplit("/", 2)[1]] += 1  # host/pid/nonce -> pid
    assert merged_into and max(merged_into.values()) == 1, "a block was merged by two jobs"
    # every original block was merged exactly once; 3 jobs per window (2+2, then 1+1)
    assert {m.block_id for m in sent.blocks} <= set(merged_into)
    assert sum(owners.values()) == 3 * 8
    assert set(owners) == {str(p.proc.pid) for p in procs}, f"work split {owners}"
    # Each process counts what it merged itself: together exactly the 24 jobs x 2 inputs, so no job
    # ran twice (two runs of one job would write the same deterministic output, hiding it above).
    done = [_metric(text, "tempo_compactor_blocks_compacted_total") for text in metrics]
    assert sum(done) == 2 * 3 * 8, f"blocks merged per process: {done}"
    assert all(idle in text for text in metrics)
    for n, p in zip(done, procs, strict=True):
        assert n == 2 * owners[str(p.proc.pid)]
    assert len(state.live) == 8
    await assert_no_duplicates_at_rest(store, "t1", sent)
    await assert_traces_complete(store, "t1", sent)
