"""A tenant's blocks as the compactor needs them: metas plus every object key of each block folder.

The querier's :func:`~tempo_py.block.blocklist.list_tenant` answers "which blocks are visible";
the compactor also needs "what is left half-done": compacted blocks whose ``meta.json`` survived
an interrupted marking, and every key of a block so deletion can remove all of it. One LIST gives
both; metas already read are reused from a cache, so a steady-state cycle costs one LIST.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from tempo_py.block import paths
from tempo_py.block.meta import BlockMeta
from tempo_py.storage.base import ObjectNotFound, ObjectStore

log = logging.getLogger(__name__)


@dataclass
class TenantState:
    """What one LIST of a tenant's prefix says about its blocks."""

    tenant: str
    live: dict[str, BlockMeta] = field(default_factory=dict)
    compacted: dict[str, BlockMeta] = field(default_factory=dict)
    keys: dict[str, list[str]] = field(default_factory=dict)  # block ID -> every key in its folder
    stray_meta: set[str] = field(default_factory=set)  # compacted, but meta.json not yet deleted

    def all_metas(self) -> list[BlockMeta]:
        """Live and compacted blocks (what queriers read)."""
        return [*self.live.values(), *self.compacted.values()]

    def mark(self, compacted: BlockMeta) -> None:
        """Record that a block was marked compacted (meta.json replaced by meta.compacted.json)."""
        bid = compacted.block_id
        self.live.pop(bid, None)
        self.compacted[bid] = compacted
        keys = set(self.keys.get(bid, [])) - {paths.meta_key(self.tenant, bid)}
        self.keys[bid] = sorted(keys | {paths.compacted_meta_key(self.tenant, bid)})

    def add_output(self, meta: BlockMeta) -> None:
        """Record a block this compactor wrote."""
        bid = meta.block_id
        self.live[bid] = meta
        self.keys[bid] = sorted(
            [
                paths.data_key(self.tenant, bid),
                paths.meta_key(self.tenant, bid),
                *(paths.bloom_key(self.tenant, bid, i) for i in range(meta.bloom_shards)),
            ]
        )

    def drop(self, block_id: str) -> None:
        """Record that a block was deleted."""
        self.live.pop(block_id, None)
        self.compacted.pop(block_id, None)
        self.keys.pop(block_id, None)
        self.stray_meta.discard(block_id)


def split_by_tenant(keys: list[str]) -> dict[str, list[str]]:
    """Group block-folder keys (``<tenant>/<uuid>/<file>``) by tenant; other keys are skipped."""
    out: dict[str, list[str]] = {}
    for key in keys:
        bk = paths.parse_key(key)
        if bk is not None and paths.is_block_id(bk.block_id):
            out.setdefault(bk.tenant, []).append(key)
    return out


class MetaCache:
    """Metas already read, by (block ID, compacted?). Block metas never change once written."""

    def __init__(self) -> None:
        self._metas: dict[tuple[str, bool], BlockMeta] = {}

    def get(self, block_id: str, compacted: bool) -> BlockMeta | None:
        """A cached meta or None."""
        return self._metas.get((block_id, compacted))

    def put(self, meta: BlockMeta, compacted: bool) -> None:
        """Remember a meta read or written by this process."""
        self._metas[(meta.block_id, compacted)] = meta

    def retain(self, block_ids: set[str]) -> None:
        """Forget blocks that no longer exist, so the cache tracks the bucket, not history."""
        self._metas = {k: v for k, v in self._metas.items() if k[0] in block_ids}


async def scan_tenant(
    store: ObjectStore, tenant: str, cache: MetaCache, keys: list[str] | None = None
) -> TenantState:
    """Build a tenant's state from ``keys`` (its block-folder keys) or, if None, a fresh LIST."""
    if keys is None:
        keys = split_by_tenant(await store.list(f"{tenant}/")).get(tenant, [])
    state = TenantState(tenant=tenant)
    has_meta: set[str] = set()
    has_compacted: set[str] = set()
    for key in keys:
        bk = paths.parse_key(key)
        if bk is None:
            raise ValueError(f"not a block key: {key!r}")
        state.keys.setdefault(bk.block_id, []).append(key)
        if bk.name == paths.META:
            has_meta.add(bk.block_id)
        elif bk.name == paths.COMPACTED_META:
            has_compacted.add(bk.block_id)

    async def load(block_id: str, compacted: bool) -> None:
        meta = cache.get(block_id, compacted)
        if meta is None:
            key = (
                paths.compacted_meta_key(tenant, block_id) if compacted else paths.meta_key(tenant, block_id)
            )
            try:
                meta = BlockMeta.from_json(await store.get(key))
            except ObjectNotFound:
                return  # deleted between LIST and GET: the next scan settles it
            except ValueError as e:
                log.warning("compactor skips block %s/%s: %s", tenant, block_id, e)
                return
            cache.put(meta, compacted)
        (state.compacted if compacted else state.live)[block_id] = meta

    jobs = [load(b, True) for b in has_compacted]
    jobs += [load(b, False) for b in has_meta - has_compacted]
    await asyncio.gather(*jobs)
    state.stray_meta = has_meta & has_compacted
    return state
