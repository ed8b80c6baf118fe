"""Retention: delete blocks past ``block_retention`` and compacted blocks past ``compacted_block_retention``.

Deletion is idempotent (see :func:`~tempo_py.compactor.blockops.delete_block`): a block whose
deletion was interrupted still has a meta and is simply deleted again on the next cycle. Lease
folders of windows long past retention are removed too, so the bucket does not grow with time.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from tempo_py.block import paths
from tempo_py.block.meta import BlockMeta
from tempo_py.compactor.blockops import delete_block
from tempo_py.compactor.listing import TenantState
from tempo_py.compactor.metrics import BLOCKS_DELETED
from tempo_py.storage.base import ObjectStore


@dataclass
class RetentionPlan:
    """Blocks retention would delete now, and why."""

    expired: list[BlockMeta] = field(default_factory=list)  # end time older than block_retention
    compacted_due: list[BlockMeta] = field(
        default_factory=list
    )  # compacted longer than compacted_block_retention
    # folders with no meta at all are not touched: an upload may be in progress there

    def block_ids(self) -> list[str]:
        """Every block the plan deletes."""
        return [m.block_id for m in (*self.expired, *self.compacted_due)]


def retention_plan(
    state: TenantState, block_retention_s: float, compacted_retention_s: float, now_ns: int
) -> RetentionPlan:
    """What to delete from ``state`` at ``now_ns``."""
    cutoff = now_ns - int(block_retention_s * 1e9)
    compacted_cutoff = now_ns - int(compacted_retention_s * 1e9)
    plan = RetentionPlan()
    plan.expired = sorted(
        (m for m in state.live.values() if m.end_time_ns < cutoff), key=lambda m: m.block_id
    )
    plan.compacted_due = sorted(
        (
            m
            for m in state.compacted.values()
            if m.compacted_time_ns <= compacted_cutoff or m.end_time_ns < cutoff
        ),
        key=lambda m: m.block_id,
    )
    return plan


async def apply_retention(
    store: ObjectStore, state: TenantState, plan: RetentionPlan, *, concurrency: int
) -> list[str]:
    """Delete the planned blocks (``concurrency`` at a time); returns their IDs. Updates ``state``."""
    sem = asyncio.Semaphore(concurrency)
    reasons = {m.block_id: "retention" for m in plan.expired}
    reasons.update({m.block_id: "compacted" for m in plan.compacted_due})
    order = sorted(reasons)

    async def one(i: int, block_id: str) -> None:
        async with sem:
            await delete_block(store, state.tenant, block_id, state.keys.get(block_id, []), first=i == 0)
        state.drop(block_id)
        BLOCKS_DELETED.labels(reasons[block_id]).inc()

    await asyncio.gather(*(one(i, b) for i, b in enumerate(order)))
    return order


def stale_lease_keys(
    lease_keys: list[str], window_s: float, block_retention_s: float, now_ns: int
) -> list[str]:
    """Lease objects (``<tenant>/compactor-leases/<window-start-s>/<gen>.json``) of windows past retention."""
    cutoff_s = now_ns / 1e9 - block_retention_s - 2 * window_s
    out = []
    for key in lease_keys:
        lk = paths.parse_lease_key(key)
        if lk is not None and lk.window.isdigit() and int(lk.window) + window_s < cutoff_s:
            out.append(key)
    return out
