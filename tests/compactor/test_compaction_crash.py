"""kill -9 at each compaction step (real processes): no trace lost, no span shown twice, restart finishes."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tempo_py.compactor.compactor import Compactor
from tempo_py.compactor.hooks import CRASH_ENV, CRASH_STEPS
from tempo_py.compactor.recovery import claimed_inputs
from tempo_py.storage.local import LocalStore
from tests.support.settings import block_settings

from .helpers import (
    assert_no_duplicates_at_rest,
    assert_traces_complete,
    compactor_settings_with,
    write_split_blocks,
)
from .procs import CompactorProcess, wait_idle


@pytest.mark.parametrize("step", CRASH_STEPS)
async def test_kill_at_step_then_restart(tmp_path: Path, step: str) -> None:
    blocks = tmp_path / "blocks"
    store = LocalStore(blocks)
    sent = await write_split_blocks(
        store, "t1", windows=1, blocks_per_window=4, traces=4, now_ns=time.time_ns()
    )
    inputs = {m.block_id for m in sent.blocks}
    # during_delete needs inputs deleted right after marking: no compacted-block grace period.
    grace = "0s" if step == "during_delete" else "1h"
    comp_cfg = {"compacted_block_retention": grace}
    observer = Compactor(
        store,
        compactor_settings_with(compacted_block_retention=0.0 if grace == "0s" else 3600.0),
        block_settings(),
    )

    crashed = CompactorProcess(tmp_path / "c1", blocks, comp_cfg, env={CRASH_ENV: step})
    assert crashed.wait_exit() == -signal.SIGKILL, crashed.log_tail()

    # The store is exactly at the step the process died in.
    state = await observer.scan("t1")
    outputs = [m for m in state.live.values() if m.extra.get("compactedFrom")]
    assert len(outputs) == 1 and set(outputs[0].extra["compactedFrom"]) == inputs
    if step == "after_output":
        assert inputs <= set(state.live) and not state.compacted
    elif step == "mid_mark":
        assert len(state.stray_meta) == 1 and len(state.compacted) == 1
    elif step == "after_mark":
        assert set(state.compacted) == inputs and not state.stray_meta
    else:  # during_delete: one input folder lost its first object, the metas are still there
        assert set(state.compacted) == inputs
        assert any(len(state.keys[b]) < 3 for b in inputs)
    # Queries right after the crash: every trace complete, each span once.
    await assert_traces_complete(store, "t1", sent)

    restarted = CompactorProcess(tmp_path / "c2", blocks, comp_cfg)
    try:
        await wait_idle(observer, "t1", [restarted])
    finally:
        restarted.stop()
    state = await observer.scan("t1")
    assert set(state.live) == {outputs[0].block_id}  # finished, not compacted again
    assert not (set(claimed_inputs(state)) & set(state.live))
    if step == "during_delete":
        assert not (set(state.keys) & inputs)  # deletion finished: no object of any input left
    await assert_no_duplicates_at_rest(store, "t1", sent)
    await assert_traces_complete(store, "t1", sent)
