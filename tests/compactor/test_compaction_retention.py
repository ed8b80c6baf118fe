"""Retention: expired blocks go, per-tenant overrides, compacted blocks after their grace, idempotent."""

from __future__ import annotations

import time
from pathlib import Path

import pyarrow as pa

from tempo_py.app.wiring import compactor_settings
from tempo_py.block import paths
from tempo_py.block.blocklist import decode_index
from tempo_py.block.encoding import write_block
from tempo_py.block.paths import lease_prefix
from tempo_py.compactor.compactor import Compactor
from tempo_py.compactor.listing import MetaCache, scan_tenant
from tempo_py.compactor.retention import apply_retention, retention_plan
from tempo_py.compactor.settings import CompactorSettings
from tempo_py.config import CompactionConfig, CompactorConfig, Config, OverridesConfig, TenantOverrides
from tempo_py.model.otlp_to_arrow import resource_spans_to_table
from tempo_py.storage.local import LocalStore
from tempo_py.storage.memory import MemoryStore
from tempo_py.testing.otlp_factory import rich_request

from .helpers import BLOCK_CFG, HOUR_NS

NOW = time.time_ns()


def _table(hours_ago: float, seed: int) -> pa.Table:
    base = NOW - int(hours_ago * HOUR_NS)
    return resource_spans_to_table(
        rich_request(n_traces=1, spans_per_trace=2, seed=seed, base_ns=base).resource_spans
    )


def _config(**per_tenant: float) -> CompactorSettings:
    cfg = Config(
        compactor=CompactorConfig(
            compaction=CompactionConfig(block_retention=10 * 3600.0, compacted_block_retention=3600.0)
        ),
        overrides=OverridesConfig(
            per_tenant={t: TenantOverrides(block_retention=s) for t, s in per_tenant.items()}
        ),
    )
    return compactor_settings(cfg)


async def test_expired_blocks_deleted_with_per_tenant_override(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    ages = {"old": 12.0, "mid": 5.0, "new": 0.5}
    ids: dict[tuple[str, str], str] = {}
    for tenant in ("a", "b"):
        for i, (name, age) in enumerate(ages.items()):
            ids[(tenant, name)] = (await write_block(store, tenant, _table(age, i), BLOCK_CFG)).block_id
    cfg = _config(b=3 * 3600.0)  # tenant b keeps 3h, everyone else 10h
    comp = Compactor(store, cfg, BLOCK_CFG)
    result = await comp.run_cycle()
    assert result.deleted == 3 and result.jobs == 0  # a/old, b/old, b/mid
    left = {(t, n) for (t, n), bid in ids.items() if await store.list(paths.block_prefix(t, bid))}
    assert left == {("a", "mid"), ("a", "new"), ("b", "new")}
    _, index = decode_index(await store.get(paths.tenant_index_key("b")))
    assert set(index.live) == {ids[("b", "new")]}  # the index no longer lists deleted blocks
    again = await comp.run_cycle()
    assert again.deleted == 0


async def test_deletion_is_idempotent_and_finishes_after_partial_delete() -> None:
    store = MemoryStore()
    metas = [await write_block(store, "t", _table(20, i), BLOCK_CFG) for i in range(3)]
    # a previous run died mid-way: one block lost its data, another its meta.json already
    await store.delete(paths.data_key("t", metas[0].block_id))
    state = await scan_tenant(store, "t", MetaCache())
    rp = retention_plan(state, 10 * 3600, 3600, NOW)
    assert {m.block_id for m in rp.expired} == {m.block_id for m in metas}
    deleted = await apply_retention(store, state, rp, concurrency=2)
    assert len(deleted) == 3 and await store.list("t/") == []
    # running the same plan again (a retry after a lost response) changes nothing and does not fail
    assert len(await apply_retention(store, state, rp, concurrency=2)) == 3
    assert await store.list("t/") == []


async def test_compacted_blocks_kept_for_grace_then_deleted(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    for i in range(3):
        await write_block(store, "t", _table(3, i), BLOCK_CFG)
    clock = [NOW]
    comp = Compactor(store, _config(), BLOCK_CFG, clock=lambda: clock[0])
    r = await comp.run_until_idle()
    assert r.jobs == 1 and r.deleted == 0
    state = await comp.scan("t")
    assert len(state.live) == 1 and len(state.compacted) == 3  # queriers still read the inputs
    clock[0] += 3600 * 10**9 - 10**9
    assert (await comp.run_cycle()).deleted == 0
    clock[0] += 2 * 10**9
    assert (await comp.run_cycle()).deleted == 3
    state = await comp.scan("t")
    assert len(state.live) == 1 and not state.compacted and set(state.keys) == set(state.live)


async def test_lease_objects_of_windows_past_retention_are_removed() -> None:
    store = MemoryStore()
    old_window = str((NOW - 30 * HOUR_NS) // 10**9 // 3600 * 3600)
    recent_window = str((NOW - 2 * HOUR_NS) // 10**9 // 3600 * 3600)
    await write_block(store, "t", _table(1, 0), BLOCK_CFG)
    for w in (old_window, recent_window):
        await store.put(lease_prefix("t", w) + "0000000003.json", b"{}")
    await Compactor(store, _config(), BLOCK_CFG).run_cycle()
    assert await store.list(lease_prefix("t", old_window)) == []
    assert await store.list(lease_prefix("t", recent_window)) != []
