"""One ingester: WAL -> live span tables -> blocks on the backend.

Push: append to the WAL (group commit) and acknowledge; convert to Arrow afterwards (in a worker
process). When its data is older than ``max_block_duration`` (checked every ``flush_check_period``),
the ingester writes traces idle for ``trace_idle_period`` as a block and carries traces still
receiving spans into the next WAL segment; when its data reaches ``max_block_bytes`` it writes
everything at once, so memory stays bounded.
Old segments are deleted only after the block's meta.json is on the backend.

Crash safety: data is in the WAL before the ack. A crash after a block became visible but before
its segments were deleted replays those spans again; readers and the compactor de-duplicate by
span ID, so nothing shows twice. A crash mid-upload leaves no meta.json, so no partial block.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from tempo_py.block.blocklist import Blocklist
from tempo_py.block.encoding import write_block
from tempo_py.block.settings import BlockConfig
from tempo_py.faults import crash_point
from tempo_py.ingester.admission import Admission
from tempo_py.ingester.convert_pool import ConvertPool, table_from_ipc, table_to_ipc
from tempo_py.ingester.wal import DISK_FULL_RETRY_AFTER_S, KIND_ARROW, KIND_OTLP, WAL, disk_full
from tempo_py.metrics import BLOCKS_FLUSHED, FLUSH_FAILURES, FLUSH_SECONDS, LIVE_BYTES, LIVE_TRACES, WAL_BYTES
from tempo_py.model.packing import unpack
from tempo_py.model.table_ops import concat, filter_trace
from tempo_py.push import Unavailable
from tempo_py.storage.base import ObjectStore

log = logging.getLogger(__name__)

# A packed span table takes ~1.6x its OTLP protobuf request in memory (bench.workload: 473 vs 295
# bytes/span); 2 leaves room for the conversion's transient copies.
PACKED_PER_PAYLOAD_BYTE = 2

# Called with (tenant, packed span table) for each pushed request once converted (not on WAL replay,
# so a restart does not count spans twice); `tempo_py.model.packing.unpack` gives the plain schema.
TableObserver = Callable[[str, pa.Table], None]
# Called with (tenant, span table about to become a block); returns the rows to write (tail sampling).
FlushFilter = Callable[[str, pa.Table], pa.Table]


@dataclass(frozen=True)
class IngesterSettings:
    """The ingester's knobs. No defaults here: :func:`tempo_py.app.wiring.ingester_settings` maps
    them from ``ingester.*`` (the config schema holds the defaults)."""

    trace_idle_period_s: float
    max_block_duration_s: float
    max_block_bytes: int
    flush_check_period_s: float
    max_live_bytes: int


@dataclass
class TenantData:
    """A tenant's span rows not yet in a block, tagged with the WAL segment holding them."""

    tables: list[tuple[int, pa.Table]] = field(default_factory=list)
    last_push: dict[bytes, float] = field(default_factory=dict)
    nbytes: int = 0


class Ingester:
    """Holds recent spans durably and turns them into blocks."""

    def __init__(
        self,
        name: str,
        wal_dir: Path,
        store: ObjectStore,
        blocklist: Blocklist,
        settings: IngesterSettings,
        block_cfg: BlockConfig,
        pool: ConvertPool,
    ) -> None:
        self.name = name
        self.wal = WAL(wal_dir)
        self.store = store
        self.blocklist = blocklist
        self.settings = settings
        self.block_cfg = block_cfg
        self.pool = pool
        self.tenants: dict[str, TenantData] = {}
        self._inflight: set[asyncio.Future[None]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._pending_bytes = 0
        self._cut_lock = asyncio.Lock()
        self._oldest_data: float | None = None
        self.observers: list[TableObserver] = []
        self.flush_filter: FlushFilter | None = None
        self.admission = Admission(name, settings.max_live_bytes, self.live_bytes)

    # -- write path -------------------------------------------------------------------------

    def live_bytes(self) -> int:
        """Bytes of span data held: converted (packed) tables, plus payloads awaiting conversion
        counted at the size they will have once converted."""
        return sum(t.nbytes for t in self.tenants.values()) + PACKED_PER_PAYLOAD_BYTE * self._pending_bytes

    async def push(self, tenant: str, payload: bytes, trace_ids: Iterable[bytes]) -> None:
        """Durably append one OTLP request's spans; returns once they are fsynced."""
        cost = PACKED_PER_PAYLOAD_BYTE * len(payload)
        await self.admission.admit(cost)  # waits for room; Overloaded (429) when there will be none
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._inflight.add(done)  # registered before the append so a cut waits for our table
        self._pending_bytes += len(payload)
        self.admission.taken(cost)
        try:
            seg = await self.wal.append(KIND_OTLP, tenant, payload)
        except BaseException as e:
            self._pending_bytes -= len(payload)
            self._inflight.discard(done)
            done.set_result(None)
            self.admission.released(cost)
            if isinstance(e, OSError) and disk_full(e):
                # the WAL dropped the torn batch, so a retry once space is freed is safe: 503, not 500
                raise Unavailable(
                    f"ingester {self.name}: WAL disk full ({e.strerror}); retry later",
                    retry_after_s=DISK_FULL_RETRY_AFTER_S,
                ) from e
            raise
        now = time.monotonic()
        td = self.tenants.setdefault(tenant, TenantData())
        for tid in trace_ids:
            td.last_push[tid] = now
        if self._oldest_data is None:
            self._oldest_data = now
        task = asyncio.create_task(self._convert(tenant, seg, payload, done))
        self._tasks.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._tasks.discard)

    async def _convert(self, tenant: str, seg: int, payload: bytes, done: asyncio.Future[None]) -> None:
        held = 0
        try:
            table = await self.pool.convert(payload)
            held = table.nbytes
            self._add_table(tenant, seg, table)
            self._observe(tenant, table)
        except Exception:
            log.exception("ingester %s: converting a pushed request failed", self.name)
        finally:
            self._pending_bytes -= len(payload)
            self._inflight.discard(done)
            done.set_result(None)
            self.admission.released(PACKED_PER_PAYLOAD_BYTE * len(payload) - held)

    def _observe(self, tenant: str, table: pa.Table) -> None:
        for observer in self.observers:
            try:
                observer(tenant, table)
            except Exception:  # an observer (metrics-generator, ...) must never fail a push
                log.exception("ingester %s: table observer %r failed", self.name, observer)

    def _add_table(self, tenant: str, seg: int, table: pa.Table) -> None:
        td = self.tenants.setdefault(tenant, TenantData())
        td.tables.append((seg, table))
        td.nbytes += table.nbytes
        self._update_gauges()
        self._cut_soon()

    def _update_gauges(self) -> None:
        LIVE_BYTES.labels(self.name).set(self.live_bytes())
        LIVE_TRACES.labels(self.name).set(sum(len(t.last_push) for t in self.tenants.values()))

    async def settle(self) -> None:
        """Wait until every push acknowledged by now is converted and queryable.

        Only those: under steady load new pushes arrive all the time, and waiting for them too
        would hold a cut (or a query) until the load paused."""
        if self._inflight:
            await asyncio.gather(*list(self._inflight))

    async def settle_all(self) -> None:
        """Wait until nothing is in flight (shutdown: no new pushes arrive)."""
        while self._inflight:
            await asyncio.gather(*list(self._inflight))

    # -- startup ----------------------------------------------------------------------------

    async def replay(self) -> int:
        """Load every WAL segment left by a previous run. Returns the number of records."""
        n = 0
        now = time.monotonic()
        for rec in self.wal.replay():
            if rec.kind == KIND_OTLP:
                table = await self.pool.convert(rec.payload)
            elif rec.kind == KIND_ARROW:
                table = table_from_ipc(rec.payload)
            else:
                log.warning("ingester %s: unknown WAL record kind %d skipped", self.name, rec.kind)
                continue
            self._add_table(rec.tenant, rec.segment, table)
            td = self.tenants[rec.tenant]
            for tid in pc.unique(table.column("trace_id")).to_pylist():
                td.last_push[tid] = now
            n += 1
        if n:
            self._oldest_data = now
            log.info("ingester %s: replayed %d WAL records", self.name, n)
        return n

    # -- read path --------------------------------------------------------------------------

    async def find_trace(self, tenant: str, trace_id: bytes) -> pa.Table:
        """Span rows of the trace held here (live, in the WAL, or being flushed)."""
        await self.settle()
        td = self.tenants.get(tenant)
        if td is None:
            return concat([])
        return unpack(concat(filter_trace(t, trace_id) for _, t in list(td.tables)))

    def tables(self, tenant: str) -> list[pa.Table]:
        """Every table held for the tenant, unpacked (for search over live data)."""
        td = self.tenants.get(tenant)
        return [unpack(t) for _, t in td.tables] if td else []

    # -- cutting and flushing ---------------------------------------------------------------

    def cut_due(self) -> str | None:
        """ "size" when live data reached ``max_block_bytes``, "age" when it is older than
        ``max_block_duration``, else None."""
        if self._oldest_data is None:
            return None
        if self.live_bytes() >= self.settings.max_block_bytes:
            return "size"
        if time.monotonic() - self._oldest_data >= self.settings.max_block_duration_s:
            return "age"
        return None

    async def cut_if_due(self) -> int:
        """Cut when due. A size cut writes every trace, active ones too (they continue in the next
        block; queries and the compactor combine them), so memory stays bounded however long traces
        stay active; an age cut writes idle traces only, as Tempo's head block does."""
        due = self.cut_due()
        if due is None:
            return 0
        return await self.cut(force=due == "size")

    def _cut_soon(self) -> None:
        if self._cut_lock.locked() or self.cut_due() != "size":
            return
        task = asyncio.create_task(self._cut_quietly())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _cut_quietly(self, *, recheck: bool = True) -> None:
        try:
            await self.cut_if_due()
        except Exception:
            FLUSH_FAILURES.inc()
            log.exception("ingester %s: flush failed; will retry", self.name)
            return
        if recheck:
            self._cut_soon()  # data that arrived during this cut may already be due

    def _any_idle(self) -> bool:
        limit = time.monotonic() - self.settings.trace_idle_period_s
        return any(ts <= limit for td in self.tenants.values() for ts in td.last_push.values())

    async def cut(self, *, force: bool) -> int:
        """Write idle traces (all traces when ``force``) as blocks. Returns blocks written."""
        async with self._cut_lock:
            if not force and not self._any_idle():
                return 0  # nothing could be written: rewriting every live trace as carried is waste
            started = time.perf_counter()
            new_seg = await self.wal.rotate()
            await self.settle()  # every table of the old segments is now in memory
            written = 0
            now = time.monotonic()
            for tenant, td in list(self.tenants.items()):
                old = [(s, t) for s, t in td.tables if s < new_seg]
                if not old:
                    continue
                table = concat(t for _, t in old)
                if force:
                    to_flush, carry = table, None
                    idle_ids = list(td.last_push)
                else:
                    idle_ids = [
                        tid
                        for tid, ts in td.last_push.items()
                        if now - ts >= self.settings.trace_idle_period_s
                    ]
                    mask = pc.is_in(table.column("trace_id"), value_set=pa.array(idle_ids, pa.binary(16)))
                    if pc.all(mask).as_py():  # everything is idle: no copies
                        to_flush, carry = table, None
                    else:
                        to_flush, carry = table.filter(mask), table.filter(pc.invert(mask))
                if carry is not None and carry.num_rows:
                    await self.wal.append(KIND_ARROW, tenant, table_to_ipc(carry))
                if self.flush_filter is not None and to_flush.num_rows:
                    to_flush = self.flush_filter(tenant, to_flush)
                if to_flush.num_rows:
                    meta = await write_block(self.store, tenant, to_flush, self.block_cfg)
                    self.blocklist.add(meta)
                    BLOCKS_FLUSHED.labels(tenant).inc()
                    written += 1
                # the block is visible: drop the flushed rows from memory
                keep = [(s, t) for s, t in td.tables if s >= new_seg]
                if carry is not None and carry.num_rows:
                    keep.append((new_seg, carry))
                td.tables = keep
                freed = td.nbytes
                td.nbytes = sum(t.nbytes for _, t in keep)
                self.admission.released(freed - td.nbytes)
                for tid in idle_ids:
                    if td.last_push.get(tid, now + 1) <= now:
                        del td.last_push[tid]
            crash_point("ingester_before_wal_delete")
            self.wal.delete_before(new_seg)
            self._oldest_data = time.monotonic() if any(t.tables for t in self.tenants.values()) else None
            WAL_BYTES.labels(self.name).set(self.wal.size_bytes())
            self._update_gauges()
            FLUSH_SECONDS.observe(time.perf_counter() - started)
            return written

    async def run(self, stop: asyncio.Event) -> None:
        """Check every ``flush_check_period`` whether to cut; retry failed flushes."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.flush_check_period_s)
            if stop.is_set():
                break
            await self._cut_quietly()
            WAL_BYTES.labels(self.name).set(self.wal.size_bytes())

    async def close(self) -> None:
        """Close the WAL (the caller flushes first if it wants a clean shutdown)."""
        await self.settle_all()
        await self.wal.close()
