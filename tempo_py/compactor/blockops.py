"""The two writes that change a block's state: mark it compacted, and delete it. Both idempotent.

Order is what makes a crash harmless:
- marking writes ``meta.compacted.json`` before deleting ``meta.json``; in between, listings treat the
  block as compacted and the next cycle deletes the leftover ``meta.json``;
- deleting removes data and blooms first and the metas last, so a block half-deleted is still
  listed and the next cycle finishes it (queriers skip a block whose objects are gone).
"""

from __future__ import annotations

import asyncio

from tempo_py.block import paths
from tempo_py.block.meta import BlockMeta
from tempo_py.compactor.hooks import crash_point
from tempo_py.storage.base import ObjectStore


async def mark_compacted(
    store: ObjectStore, meta: BlockMeta, now_ns: int, *, first: bool = False
) -> BlockMeta:
    """Write the block's meta.compacted.json, then delete its meta.json. Returns the compacted meta."""
    cm = meta.compacted(now_ns)
    await store.put(paths.compacted_meta_key(meta.tenant_id, meta.block_id), cm.to_json())
    if first:
        crash_point("mid_mark")
    await store.delete(paths.meta_key(meta.tenant_id, meta.block_id))
    return cm


async def finish_marking(store: ObjectStore, tenant: str, block_id: str) -> None:
    """Delete the meta.json a crash left beside a block's meta.compacted.json."""
    await store.delete(paths.meta_key(tenant, block_id))


async def delete_block(
    store: ObjectStore, tenant: str, block_id: str, keys: list[str], *, first: bool = False
) -> None:
    """Delete every object of a block folder: data and blooms, then meta.json, then meta.compacted.json."""
    meta = paths.meta_key(tenant, block_id)
    compacted = paths.compacted_meta_key(tenant, block_id)
    body = [k for k in keys if k not in (meta, compacted)]
    if body:
        await store.delete(body[0])
        if first:
            crash_point("during_delete")
        await asyncio.gather(*(store.delete(k) for k in body[1:]))
    await store.delete(meta)
    await store.delete(compacted)
