"""Planner: windows by end time, levels in active windows, limits, bound at rest."""

from __future__ import annotations

import random
import uuid

from tempo_py.app.wiring import compaction_settings
from tempo_py.block.meta import BlockMeta
from tempo_py.compactor.planner import ALL_LEVELS, plan_tenant, rest_bound, window_start_ns
from tempo_py.config import CompactionConfig

H = 3600 * 10**9
NOW = 1_700_000_000 * 10**9 // H * H + H // 2  # half-way into an hour


def meta(end_ns: int, *, size: int = 1000, objects: int = 10, level: int = 0) -> BlockMeta:
    return BlockMeta(
        block_id=str(uuid.uuid4()),
        tenant_id="t",
        start_time_ns=end_ns - 10**9,
        end_time_ns=end_ns,
        total_objects=objects,
        span_count=objects,
        size=size,
        row_groups=1,
        bloom_shards=1,
        footer_size=10,
        compaction_level=level,
    )


def plan(blocks: list[BlockMeta], **kw: object) -> list:  # type: ignore[type-arg]
    cfg = compaction_settings(CompactionConfig(**kw))  # type: ignore[arg-type]
    return plan_tenant("t", blocks, cfg, NOW, retention_s=cfg.block_retention)


def test_blocks_group_by_window_of_end_time() -> None:
    old = [meta(NOW - 5 * H + i * 10**9) for i in range(3)] + [meta(NOW - 4 * H + 1)]
    windows = plan(old)
    assert [len(w.blocks) for w in windows] == [3, 1]
    assert windows[0].window_start_ns == window_start_ns(old[0], 3600)
    assert [len(w.jobs) for w in windows] == [1, 0]
    assert not windows[0].active and windows[0].jobs[0].level == ALL_LEVELS
    assert "closed window" in windows[0].jobs[0].reason and "max_block_bytes" in windows[0].jobs[0].reason


def test_active_window_merges_one_level_at_a_time_closed_window_all() -> None:
    mixed = [
        meta(NOW - 10**9, level=0),
        meta(NOW - 2 * 10**9, level=0),
        meta(NOW - 3 * 10**9, level=1),
        meta(NOW - 4 * 10**9, level=2),
    ]
    (w,) = plan(mixed)
    assert w.active
    assert [(j.level, len(j.inputs), j.output_level) for j in w.jobs] == [(0, 2, 1)]
    closed = [replace_end(m, NOW - 3 * H) for m in mixed]
    (w,) = plan(closed)
    assert not w.active and len(w.jobs) == 1 and len(w.jobs[0].inputs) == 4 and w.jobs[0].output_level == 3


def replace_end(m: BlockMeta, end: int) -> BlockMeta:
    from dataclasses import replace

    return replace(m, end_time_ns=end, start_time_ns=end - 10**9)


def test_limits_bytes_objects_and_input_counts() -> None:
    end = NOW - 3 * H
    blocks = [meta(end, size=40) for _ in range(5)]
    (w,) = plan(blocks, max_block_bytes=100)
    assert [len(j.inputs) for j in w.jobs] == [2, 2]  # 40+40 fits, a third would not; one left over
    (w,) = plan(blocks, max_compaction_objects=35)
    assert [len(j.inputs) for j in w.jobs] == [3, 2]  # 10 traces each: at most 3 per job
    (w,) = plan(blocks, max_input_blocks=2)
    assert [len(j.inputs) for j in w.jobs] == [2, 2]
    (w,) = plan(blocks, min_input_blocks=6, max_input_blocks=8)
    assert w.jobs == []
    full = [meta(end, size=100), meta(end, size=10), meta(end, size=10)]
    (w,) = plan(full, max_block_bytes=100)
    assert [m.size for m in w.jobs[0].inputs] == [10, 10]
    assert [why for _, why in w.skipped] == ["full: at max_block_bytes or max_compaction_objects"]


def test_excluded_and_expired_blocks_are_skipped_with_reason() -> None:
    end = NOW - 3 * H
    a, b, c = meta(end), meta(end), meta(end)
    (w,) = plan_tenant(
        "t",
        [a, b, c],
        compaction_settings(CompactionConfig()),
        NOW,
        retention_s=3600,
        exclude={a.block_id: "pending"},
    )
    assert {why for _, why in w.skipped} == {
        "pending",
        "past block_retention: retention deletes it",
    } or w.jobs == []
    windows = plan_tenant(
        "t",
        [a, b, c],
        compaction_settings(CompactionConfig()),
        NOW,
        retention_s=10 * 3600,
        exclude={a.block_id: "pending"},
    )
    assert [{m.block_id for m in j.inputs} for j in windows[0].jobs] == [{b.block_id, c.block_id}]


def test_job_identity_is_deterministic() -> None:
    end = NOW - 3 * H
    blocks = [meta(end) for _ in range(3)]
    (w1,) = plan(blocks)
    (w2,) = plan(list(reversed(blocks)))
    assert w1.jobs[0].output_block_id == w2.jobs[0].output_block_id
    assert w1.jobs[0].job_id == w2.jobs[0].job_id
    assert str(uuid.UUID(w1.jobs[0].output_block_id)) == w1.jobs[0].output_block_id


def test_packing_reaches_rest_bound() -> None:
    """Merging planned jobs until none is left ends within rest_bound, for random block mixes."""
    rnd = random.Random(11)
    for _ in range(200):
        cfg = compaction_settings(
            CompactionConfig(
                max_block_bytes=1000,
                max_compaction_objects=100,
                min_input_blocks=rnd.choice([2, 3]),
                max_input_blocks=rnd.choice([3, 4, 8]),
            )
        )
        blocks = [
            meta(NOW - 3 * H, size=rnd.randint(1, 700), objects=rnd.randint(1, 70))
            for _ in range(rnd.randint(1, 30))
        ]
        for _ in range(100):
            (w,) = plan_tenant("t", blocks, cfg, NOW, retention_s=cfg.block_retention)
            if not w.jobs:
                break
            for j in w.jobs:
                ids = {m.block_id for m in j.inputs}
                blocks = [m for m in blocks if m.block_id not in ids]
                blocks.append(
                    meta(NOW - 3 * H, size=j.input_bytes, objects=j.input_objects, level=j.output_level)
                )
        bound = rest_bound(sum(m.size for m in blocks), sum(m.total_objects for m in blocks), cfg)
        assert len(blocks) <= bound
