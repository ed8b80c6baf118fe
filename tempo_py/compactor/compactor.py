"""The compaction loop: every ``compaction_cycle``, for every tenant, recover, plan, merge, retain.

One tenant's cycle:
1. scan its blocks (one LIST of the bucket per cycle, metas cached) and finish interrupted work
   (:mod:`~tempo_py.compactor.recovery`);
2. plan windows (:mod:`~tempo_py.compactor.planner`); for each window with jobs, take its lease,
   LIST the tenant again (another compactor may have just finished there), and run jobs until
   the window has none left;
3. a job: k-way merge of the inputs into a block writer -> upload the output (meta.json last,
   naming its inputs) -> check the lease is still ours -> mark each input compacted;
4. retention deletes expired blocks and compacted blocks past ``compacted_block_retention``;
5. the tenant index is rewritten from a fresh listing so queriers see the result.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from tempo_py import background
from tempo_py.block import paths
from tempo_py.block.blocklist import Blocklist, TenantBlocks, encode_index, list_tenant
from tempo_py.block.cache import BlockCaches
from tempo_py.block.encoding import create_writer, open_block, upload_block
from tempo_py.block.meta import COMPACTED_FROM, BlockMeta
from tempo_py.block.settings import BlockConfig
from tempo_py.compactor import metrics
from tempo_py.compactor.blockops import mark_compacted
from tempo_py.compactor.hooks import crash_point, wait_for_start_gate
from tempo_py.compactor.lease import Lease, LeaseManager
from tempo_py.compactor.listing import MetaCache, TenantState, scan_tenant, split_by_tenant
from tempo_py.compactor.merger import MergeStats, merge_blocks
from tempo_py.compactor.planner import Job, WindowPlan, plan_tenant
from tempo_py.compactor.recovery import claimed_inputs, recover
from tempo_py.compactor.retention import apply_retention, retention_plan, stale_lease_keys
from tempo_py.compactor.settings import CompactorSettings
from tempo_py.storage.base import ObjectStore

log = logging.getLogger(__name__)

# Jobs one lease hold may run before the window is handed back (other windows get a turn).
MAX_JOBS_PER_LEASE = 32


class LeaseLost(Exception):
    """Another compactor took the window's lease while this one worked on it."""


@dataclass
class CycleResult:
    """What one cycle did, for tests, the bench and logs."""

    jobs: int = 0
    blocks_in: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    spans_in: int = 0
    spans_out: int = 0
    deleted: int = 0
    recovered: int = 0
    outstanding: int = 0

    def add(self, other: CycleResult) -> None:
        """Accumulate another result."""
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def plan_exclusions(state: TenantState) -> dict[str, str]:
    """Live blocks that must not be planned: an output already holds them (awaiting marking)."""
    return {
        bid: f"already merged into {out}; waiting to be marked compacted"
        for bid, out in claimed_inputs(state).items()
        if bid in state.live and bid != out
    }


class Compactor:
    """Compacts and retains every tenant's blocks in one object store."""

    def __init__(
        self,
        store: ObjectStore,
        settings: CompactorSettings,
        block_cfg: BlockConfig,
        *,
        blocklist: Blocklist | None = None,
        leases: LeaseManager | None = None,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.store = store
        self.settings = settings
        self.comp = settings.compaction
        self.block_cfg = block_cfg
        self.blocklist = blocklist
        self.leases = leases or LeaseManager(store)
        self.clock = clock
        self._metas: dict[str, MetaCache] = {}

    async def run(self, stop: asyncio.Event) -> None:
        """Run a cycle every ``compaction_cycle`` until ``stop`` is set."""
        await wait_for_start_gate(stop)
        while not stop.is_set():
            try:
                await self.run_cycle()
            except Exception:  # transient backend errors: the next cycle retries from the store
                log.exception("compaction cycle failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.comp.compaction_cycle)

    async def run_until_idle(self, max_cycles: int = 100) -> CycleResult:
        """Cycle until one does nothing (for tests, the bench and one-shot runs)."""
        total = CycleResult()
        for _ in range(max_cycles):
            r = await self.run_cycle()
            total.add(r)
            if r.jobs == 0 and r.deleted == 0 and r.recovered == 0:
                return total
        raise RuntimeError(f"compaction not idle after {max_cycles} cycles")

    async def run_cycle(self) -> CycleResult:
        """One pass over every tenant, its CPU work below ingest and queries (tempo_py.background)."""
        with background.background():
            return await self._run_cycle()

    async def _run_cycle(self) -> CycleResult:
        keys = await self.store.list("")
        by_tenant = split_by_tenant(keys)
        leases: dict[str, list[str]] = {}
        for k in keys:
            lk = paths.parse_lease_key(k)
            if lk is not None:
                leases.setdefault(lk.tenant, []).append(k)
        total = CycleResult()
        for tenant in sorted(set(by_tenant) | set(leases)):
            try:
                total.add(await self.run_tenant(tenant, by_tenant.get(tenant, []), leases.get(tenant, [])))
            except Exception:
                log.exception("compaction of tenant %s failed", tenant)
        return total

    async def scan(self, tenant: str, keys: list[str] | None = None) -> TenantState:
        """The tenant's state (from ``keys`` or a fresh LIST), reusing metas read before."""
        cache = self._metas.setdefault(tenant, MetaCache())
        state = await scan_tenant(self.store, tenant, cache, keys)
        cache.retain(set(state.keys))
        return state

    def plan(self, state: TenantState) -> list[WindowPlan]:
        """The tenant's compaction plan now."""
        return plan_tenant(
            state.tenant,
            state.live.values(),
            self.comp,
            self.clock(),
            retention_s=self.settings.block_retention_for(state.tenant),
            exclude=plan_exclusions(state),
        )

    async def run_tenant(self, tenant: str, keys: list[str], lease_keys: list[str]) -> CycleResult:
        """Recover, compact, retain and re-index one tenant."""
        result = CycleResult()
        state = await self.scan(tenant, keys)
        result.recovered += await self._recover(state)
        plans = self.plan(state)
        metrics.OUTSTANDING.labels(tenant).set(sum(len(j.inputs) for wp in plans for j in wp.jobs))
        for wp in plans:
            if wp.jobs:
                result.add(await self._compact_window(tenant, wp.window_start_ns))
        if result.jobs:
            state = await self.scan(tenant)
        retention_s = self.settings.block_retention_for(tenant)
        now = self.clock()
        rp = retention_plan(state, retention_s, self.comp.compacted_block_retention, now)
        if rp.block_ids():
            deleted = await apply_retention(
                self.store, state, rp, concurrency=self.comp.retention_concurrency
            )
            result.deleted += len(deleted)
            if self.blocklist is not None:
                self.blocklist.remove(tenant, deleted)
        for key in stale_lease_keys(lease_keys, self.comp.compaction_window, retention_s, now):
            await self.store.delete(key)
        if result.jobs or result.deleted or result.recovered:
            await self._write_index(tenant, state)
        metrics.OUTSTANDING.labels(tenant).set(sum(len(j.inputs) for wp in self.plan(state) for j in wp.jobs))
        return result

    async def _recover(self, state: TenantState) -> int:
        rec = await recover(self.store, state, self.clock())
        if self.blocklist is not None and rec.marked:
            self.blocklist.mark_compacted(rec.marked)
        return len(rec.marked) + len(rec.stray_deleted)

    async def _compact_window(self, tenant: str, window_start_ns: int) -> CycleResult:
        result = CycleResult()
        lease = await self.leases.acquire(tenant, str(window_start_ns // 10**9))
        if lease is None:
            return result  # another compactor is on this window
        lease.start_renewing()
        try:
            state = await self.scan(tenant)  # fresh: the previous holder may have just finished
            result.recovered += await self._recover(state)
            for _ in range(MAX_JOBS_PER_LEASE):
                jobs = [
                    j for wp in self.plan(state) if wp.window_start_ns == window_start_ns for j in wp.jobs
                ]
                if not jobs:
                    break
                result.add(await self.run_job(jobs[0], lease, state))
        except LeaseLost:
            metrics.LEASES_LOST.inc()
            log.warning(
                "compactor lease of %s window %d lost; the new holder finishes the job",
                tenant,
                window_start_ns // 10**9,
            )
        finally:
            await lease.release()
        return result

    async def run_job(self, job: Job, lease: Lease | None, state: TenantState) -> CycleResult:
        """Merge ``job``'s inputs into one output block, then mark the inputs compacted."""
        t0 = time.monotonic()
        try:
            output, stats = await self._merge(job)
            crash_point("after_output")
            if lease is not None and not await lease.still_held():
                raise LeaseLost(job.job_id)
            now = self.clock()
            marked = [
                await mark_compacted(self.store, m, now, first=i == 0) for i, m in enumerate(job.inputs)
            ]
            crash_point("after_mark")
        except LeaseLost:
            raise
        except Exception:
            metrics.JOB_FAILURES.inc()
            raise
        if output is not None:
            state.add_output(output)
        for cm in marked:
            state.mark(cm)
        if self.blocklist is not None:
            if output is not None:
                self.blocklist.add(output)
            self.blocklist.mark_compacted(marked)
        out_bytes = output.size if output is not None else 0
        metrics.DURATION.observe(time.monotonic() - t0)
        metrics.BLOCKS_COMPACTED.inc(len(job.inputs))
        metrics.BYTES_IN.inc(job.input_bytes)
        metrics.BYTES_OUT.inc(out_bytes)
        metrics.SPANS_IN.inc(stats.spans_in)
        log.info(
            "compacted %d blocks (%d bytes, %d spans) of %s into %s level %d (%d bytes, %d spans) in %.2fs",
            len(job.inputs),
            job.input_bytes,
            stats.spans_in,
            job.tenant,
            job.output_block_id,
            job.output_level,
            out_bytes,
            stats.spans_out,
            time.monotonic() - t0,
        )
        return CycleResult(
            jobs=1,
            blocks_in=len(job.inputs),
            bytes_in=job.input_bytes,
            bytes_out=out_bytes,
            spans_in=stats.spans_in,
            spans_out=stats.spans_out,
        )

    async def _merge(self, job: Job) -> tuple[BlockMeta | None, MergeStats]:
        """Stream the merge into a writer and upload the output (meta.json last). None if empty."""
        caches = BlockCaches(bloom_bytes=0, footer_bytes=64 * 2**20)
        inputs = sorted(job.inputs, key=lambda m: (m.created_time_ns, m.block_id))  # newest copy wins
        readers = [open_block(self.store, m, caches) for m in inputs]
        writer = create_writer(
            job.tenant, self.block_cfg, block_id=job.output_block_id, level=job.output_level
        )
        stats = MergeStats()
        # Encoding batch k (writer thread) overlaps merging batch k+1: two cores busy, order kept.
        adding: asyncio.Future[None] | None = None
        async for batch in merge_blocks(readers, stats):
            if adding is not None:
                await adding
            adding = asyncio.ensure_future(background.to_thread(writer.add, batch))
        if adding is not None:
            await adding
        if stats.spans_out == 0:
            return None, stats
        enc = await background.to_thread(writer.finish)
        meta = replace(enc.meta, extra={COMPACTED_FROM: job.input_ids, "compactor": str(self.leases.owner)})
        await upload_block(self.store, replace(enc, meta=meta))
        return meta, stats

    async def _write_index(self, tenant: str, state: TenantState) -> None:
        """Rewrite the tenant index from a fresh listing (blocks flushed meanwhile included)."""
        known = TenantBlocks(live=dict(state.live), compacted=dict(state.compacted))
        tb = await list_tenant(self.store, tenant, known)
        await self.store.put(paths.tenant_index_key(tenant), encode_index(tb))
