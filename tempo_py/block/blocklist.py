"""Which blocks each tenant has: the tenant index and the poller that keeps it fresh.

One process (the compactor, or the single binary) is the *builder*: every ``blocklist_poll`` it
LISTs the bucket, reads metas it has not seen, and writes ``<tenant>/index.json.gz``. Every other
process reads that index instead of listing, so a query costs no LIST. A missing index, or one
older than ``stale_after``, falls back to listing the tenant's prefix directly.
Blocks written or compacted by this process are added at once (``add``/``mark_compacted``), so
a flush is visible to this process's queries before the next poll.

Reads never create tenant state: a tenant with no blocks (say, a query with an unknown
``X-Scope-OrgID``) is not remembered, so it costs no memory and the builder never writes an index
for it. The builder writes indexes only for tenants that have objects in the bucket.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import logging
import time
from dataclasses import dataclass, field

from tempo_py.block import paths
from tempo_py.block.meta import BlockMeta
from tempo_py.storage.base import ObjectNotFound, ObjectStore

log = logging.getLogger(__name__)


@dataclass
class TenantBlocks:
    """A tenant's live and compacted blocks, by block ID."""

    live: dict[str, BlockMeta] = field(default_factory=dict)
    compacted: dict[str, BlockMeta] = field(default_factory=dict)
    loaded_at: float = 0.0


def encode_index(blocks: TenantBlocks) -> bytes:
    """index.json.gz bytes."""
    doc = {
        "createdAt": time.time(),
        "meta": [json.loads(m.to_json()) for m in blocks.live.values()],
        "compacted": [json.loads(m.to_json()) for m in blocks.compacted.values()],
    }
    return gzip.compress(json.dumps(doc).encode(), compresslevel=6)


def decode_index(data: bytes) -> tuple[float, TenantBlocks]:
    """(createdAt, blocks) from index.json.gz bytes. Raises ValueError when malformed."""
    try:
        doc = json.loads(gzip.decompress(data))
        live = [BlockMeta.from_json(json.dumps(d)) for d in doc["meta"]]
        comp = [BlockMeta.from_json(json.dumps(d)) for d in doc["compacted"]]
        return float(doc["createdAt"]), TenantBlocks(
            live={m.block_id: m for m in live}, compacted={m.block_id: m for m in comp}
        )
    except (OSError, KeyError, TypeError, ValueError) as e:
        raise ValueError(f"malformed tenant index: {e}") from e


async def list_tenant(store: ObjectStore, tenant: str, known: TenantBlocks | None = None) -> TenantBlocks:
    """Build a tenant's block list by LISTing its prefix (reads only metas not in ``known``)."""
    keys = await store.list(f"{tenant}/")
    metas: dict[str, str] = {}
    compacted: set[str] = set()
    for key in keys:
        bk = paths.parse_key(key)
        if bk is None:
            continue
        if bk.name == paths.META:
            metas[bk.block_id] = key
        elif bk.name == paths.COMPACTED_META:
            compacted.add(bk.block_id)
    out = TenantBlocks(loaded_at=time.monotonic())

    async def load(block_id: str, key: str, into: dict[str, BlockMeta], cache: dict[str, BlockMeta]) -> None:
        hit = cache.get(block_id)
        if hit is not None:
            into[block_id] = hit
            return
        try:
            into[block_id] = BlockMeta.from_json(await store.get(key))
        except ObjectNotFound:
            pass  # deleted between LIST and GET
        except ValueError as e:
            log.warning("skipping block %s/%s: %s", tenant, block_id, e)

    known = known or TenantBlocks()
    jobs = []
    for block_id in compacted:
        jobs.append(
            load(block_id, paths.compacted_meta_key(tenant, block_id), out.compacted, known.compacted)
        )
    for block_id, key in metas.items():
        if block_id not in compacted:
            jobs.append(load(block_id, key, out.live, known.live))
    await asyncio.gather(*jobs)
    return out


def replaced(tb: TenantBlocks) -> set[str]:
    """IDs of blocks whose spans a live block holds, directly or through compacted blocks."""
    out: set[str] = set()
    todo = [bid for m in tb.live.values() for bid in m.compacted_from]
    while todo:
        bid = todo.pop()
        if bid in out:
            continue
        out.add(bid)
        via = tb.compacted.get(bid) or tb.live.get(bid)
        if via is not None:
            todo.extend(via.compacted_from)
    return out


class Blocklist:
    """In-memory block lists per tenant, refreshed by polling."""

    def __init__(
        self, store: ObjectStore, *, builder: bool, poll_interval_s: float, stale_after_s: float | None = None
    ) -> None:
        self.store = store
        self.builder = builder
        self.poll_interval_s = poll_interval_s
        self.stale_after_s = stale_after_s if stale_after_s is not None else 3 * poll_interval_s + 60
        self._tenants: dict[str, TenantBlocks] = {}
        self._lock = asyncio.Lock()

    def tenants(self) -> list[str]:
        """Tenants known to this process."""
        return sorted(self._tenants)

    async def blocks(self, tenant: str) -> TenantBlocks:
        """The tenant's blocks; loaded on first use from the index (or a LIST)."""
        tb = self._tenants.get(tenant)
        if tb is None or time.monotonic() - tb.loaded_at > self.poll_interval_s:
            tb = await self._load(tenant, tb)
            self._keep(tenant, tb)
        return tb

    def _keep(self, tenant: str, tb: TenantBlocks) -> None:
        """Remember ``tb`` only if the tenant has blocks: any caller can name any tenant, so
        remembering empty ones would grow memory (and the builder's index writes) with reads."""
        if tb.live or tb.compacted:
            self._tenants[tenant] = tb
        else:
            self._tenants.pop(tenant, None)

    async def searchable(self, tenant: str) -> list[BlockMeta]:
        """The blocks a read must look at: live blocks, and compacted ones not yet replaced.

        A compacted block stays readable until deleted, for readers whose list does not show its
        replacement yet; once a listed live block holds its spans (``compactedFrom``, followed
        through compacted intermediates), reading it again only costs time. A live block already
        in a live output (a compactor stopped between writing the output and marking its inputs)
        is skipped the same way.
        """
        tb = await self.blocks(tenant)
        skip = replaced(tb)
        return [m for m in [*tb.live.values(), *tb.compacted.values()] if m.block_id not in skip]

    async def _load(self, tenant: str, known: TenantBlocks | None) -> TenantBlocks:
        if not self.builder:
            try:
                created, tb = decode_index(await self.store.get(paths.tenant_index_key(tenant)))
                if time.time() - created <= self.stale_after_s:
                    tb.loaded_at = time.monotonic()
                    self._merge_local(tenant, tb)
                    return tb
                log.warning("tenant index of %s is stale; listing", tenant)
            except ObjectNotFound:
                pass
            except ValueError as e:
                log.warning("tenant index of %s unreadable (%s); listing", tenant, e)
        tb = await list_tenant(self.store, tenant, known)
        self._merge_local(tenant, tb)
        return tb

    def _merge_local(self, tenant: str, fresh: TenantBlocks) -> None:
        """Keep blocks this process added since the last load (the index may predate them)."""
        old = self._tenants.get(tenant)
        if old is None:
            return
        for bid, m in old.live.items():
            if (
                bid not in fresh.live
                and bid not in fresh.compacted
                and m.created_time_ns / 1e9 > time.time() - 2 * self.stale_after_s
            ):
                fresh.live[bid] = m

    def add(self, meta: BlockMeta) -> None:
        """Make a block this process just wrote visible to its queries now."""
        tb = self._tenants.setdefault(meta.tenant_id, TenantBlocks(loaded_at=time.monotonic()))
        tb.live[meta.block_id] = meta

    def mark_compacted(self, metas: list[BlockMeta]) -> None:
        """Move blocks to the compacted list."""
        for m in metas:
            tb = self._tenants.setdefault(m.tenant_id, TenantBlocks(loaded_at=time.monotonic()))
            tb.live.pop(m.block_id, None)
            tb.compacted[m.block_id] = m

    def remove(self, tenant: str, block_ids: list[str]) -> None:
        """Forget deleted blocks."""
        tb = self._tenants.get(tenant)
        if tb:
            for bid in block_ids:
                tb.live.pop(bid, None)
                tb.compacted.pop(bid, None)

    async def discover_tenants(self) -> list[str]:
        """Tenants with any object in the bucket (builder only: one LIST of everything)."""
        keys = await self.store.list("")
        return sorted({t for t in map(paths.tenant_of, keys) if t is not None})

    async def poll(self) -> None:
        """Refresh every tenant; the builder also rewrites each tenant index."""
        async with self._lock:
            tenants = set(self._tenants)
            in_bucket: set[str] = set()
            if self.builder:
                in_bucket = set(await self.discover_tenants())
                tenants |= in_bucket
            for tenant in sorted(tenants):
                tb = await self._load(tenant, self._tenants.get(tenant))
                self._keep(tenant, tb)
                # Only tenants with objects get an index (an empty one once their last block is
                # deleted, so readers stop seeing it); one known only from memory creates nothing.
                if self.builder and tenant in in_bucket:
                    await self.store.put(paths.tenant_index_key(tenant), encode_index(tb))

    async def run(self, stop: asyncio.Event) -> None:
        """Poll every ``poll_interval_s`` until ``stop`` is set."""
        while not stop.is_set():
            try:
                await self.poll()
            except Exception:  # keep polling through transient backend errors
                log.exception("blocklist poll failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.poll_interval_s)
