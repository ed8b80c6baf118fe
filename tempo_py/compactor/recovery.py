"""Finish what a killed compactor left half-done, from what the store shows. Idempotent.

A job's commit point is its output's meta.json: the output names its inputs in
``extra.compactedFrom``. So after any crash exactly one of these holds for a job:
- no output meta.json: the inputs are untouched; the job is simply planned again (its output ID is
  deterministic, so a redo overwrites any data/bloom objects the crash left behind);
- output visible, some inputs still live: both are read by queriers (they dedupe by span ID);
  recovery marks those inputs compacted;
- an input has both meta.compacted.json and meta.json (killed between the two writes): recovery
  deletes the meta.json.
Inputs named by a visible output are also kept out of new plans until they are marked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from tempo_py.block import paths
from tempo_py.block.meta import BlockMeta
from tempo_py.compactor.blockops import finish_marking, mark_compacted
from tempo_py.compactor.listing import TenantState
from tempo_py.storage.base import ObjectStore

log = logging.getLogger(__name__)


def claimed_inputs(state: TenantState) -> dict[str, str]:
    """Input block ID -> ID of a visible output block that already holds its spans."""
    out: dict[str, str] = {}
    for m in state.all_metas():
        for bid in m.compacted_from:
            out.setdefault(bid, m.block_id)
    return out


@dataclass
class RecoveryResult:
    """What recovery changed."""

    marked: list[BlockMeta] = field(default_factory=list)  # compacted metas written
    stray_deleted: list[str] = field(default_factory=list)


async def recover(store: ObjectStore, state: TenantState, now_ns: int) -> RecoveryResult:
    """Finish interrupted markings; updates ``state`` to match the store afterwards."""
    result = RecoveryResult()
    for block_id in sorted(state.stray_meta):
        await finish_marking(store, state.tenant, block_id)
        state.keys[block_id] = [
            k for k in state.keys.get(block_id, []) if k != paths.meta_key(state.tenant, block_id)
        ]
        result.stray_deleted.append(block_id)
    state.stray_meta.clear()
    for block_id, output in sorted(claimed_inputs(state).items()):
        meta = state.live.get(block_id)
        if meta is None or block_id == output:
            continue
        log.info(
            "recovery: block %s/%s is already in output %s; marking it compacted",
            state.tenant,
            block_id,
            output,
        )
        cm = await mark_compacted(store, meta, now_ns)
        state.mark(cm)
        result.marked.append(cm)
    return result
