"""Compaction to a steady state: fewer blocks, complete traces, no duplicate spans; local and S3."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from tempo_py.block.blocklist import Blocklist
from tempo_py.block.settings import BlockConfig
from tempo_py.compactor.compactor import Compactor
from tempo_py.compactor.listing import MetaCache, scan_tenant
from tempo_py.compactor.planner import rest_bound, window_start_ns
from tempo_py.storage.base import ObjectStore
from tempo_py.storage.local import LocalStore
from tests.support.moto_server import MotoS3
from tests.support.settings import block_settings

from .helpers import (
    BLOCK_CFG,
    assert_no_duplicates_at_rest,
    assert_traces_complete,
    compactor_settings_with,
    write_split_blocks,
)


async def _steady_state(
    store: ObjectStore,
    *,
    max_input_blocks: int,
    block_cfg: BlockConfig = BLOCK_CFG,
    windows: int = 3,
    traces: int = 6,
) -> None:
    now = time.time_ns()
    sent = await write_split_blocks(
        store, "t1", windows=windows, blocks_per_window=7, now_ns=now, traces=traces
    )
    cfg = compactor_settings_with(max_input_blocks=max_input_blocks, compacted_block_retention=3600.0)
    comp = Compactor(store, cfg, block_cfg)

    result = await comp.run_until_idle()
    assert result.jobs >= windows and result.blocks_in >= 7 * windows

    state = await scan_tenant(store, "t1", MetaCache())
    assert not comp.plan(state) or all(not wp.jobs for wp in comp.plan(state))
    live = await assert_no_duplicates_at_rest(store, "t1", sent)
    await assert_traces_complete(store, "t1", sent)
    assert len(live) < len(sent.blocks)
    per_window = Counter(window_start_ns(m, cfg.compaction.compaction_window) for m in live)
    assert len(per_window) == windows
    for start, n in per_window.items():
        metas = [m for m in live if window_start_ns(m, 3600.0) == start]
        bound = rest_bound(sum(m.size for m in metas), sum(m.total_objects for m in metas), cfg.compaction)
        assert n <= bound
        assert n == 1  # everything of a window fits one block under the default limits
    levels = {m.compaction_level for m in live}
    assert max(levels) >= 2  # 7 inputs in chunks of 3 -> level 1 outputs -> merged again
    # inputs stay readable (compacted) until compacted_block_retention; outputs name them
    assert len(state.compacted) >= len(sent.blocks)
    for m in live:
        assert m.extra["compactedFrom"]
    # reads skip every retained block: each is replaced by a live one, through level-1 outputs
    # that were themselves compacted
    readable = await Blocklist(store, builder=True, poll_interval_s=3600).searchable("t1")
    assert {m.block_id for m in readable} == {m.block_id for m in live}


async def test_steady_state_local(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "blocks")
    await _steady_state(store, max_input_blocks=3)


async def test_steady_state_s3(moto_s3: MotoS3, s3_bucket: str) -> None:
    store = moto_s3.store(s3_bucket)
    try:
        await _steady_state(store, max_input_blocks=4)
    finally:
        await store.close()


@pytest.mark.parametrize("row_group_spans", [1, 1000])
async def test_row_group_shapes_merge_the_same(tmp_path: Path, row_group_spans: int) -> None:
    """Row groups of one span, of odd sizes and of whole blocks merge to the same complete traces."""
    store = LocalStore(tmp_path / "blocks")
    await _steady_state(
        store,
        max_input_blocks=3,
        block_cfg=block_settings(row_group_spans=row_group_spans),
        windows=1,
        traces=3,
    )
