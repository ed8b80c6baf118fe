"""Leases: one holder at a time, expiry and dead-holder takeover, a lost lease stops the commit."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from tempo_py.block.paths import lease_prefix
from tempo_py.compactor.compactor import Compactor, LeaseLost
from tempo_py.compactor.lease import LeaseManager, Owner
from tempo_py.storage.local import LocalStore
from tempo_py.storage.memory import MemoryStore

from .helpers import BLOCK_CFG, assert_traces_complete, compactor_settings_with, write_split_blocks


async def test_only_one_of_many_acquires() -> None:
    store = MemoryStore()
    managers = [LeaseManager(store) for _ in range(8)]
    got = await asyncio.gather(*(m.acquire("t1", "100") for m in managers))
    assert sum(lease is not None for lease in got) == 1
    holder = next(lease for lease in got if lease is not None)
    assert await holder.still_held()
    assert [await m.acquire("t1", "100") for m in managers] == [None] * 8
    await holder.release()
    again = await managers[3].acquire("t1", "100")
    assert again is not None and again.gen == holder.gen + 1
    # older generations are cleaned up; the newest one always stays
    assert await store.list(lease_prefix("t1", "100")) == [again.key]


async def test_expired_lease_is_taken_over_and_old_holder_knows() -> None:
    store = MemoryStore()
    a = LeaseManager(store, ttl_s=0.05)
    b = LeaseManager(store)
    held = await a.acquire("t1", "w")
    assert held is not None and await b.acquire("t1", "w") is None
    deadline = time.monotonic() + 5
    taken = None
    while taken is None and time.monotonic() < deadline:
        taken = await b.acquire("t1", "w")
        await asyncio.sleep(0.01)  # waiting for the 50 ms expiry itself
    assert taken is not None
    assert not await held.still_held()
    await held.release()  # harmless: marks only its own, older generation
    assert await taken.still_held()


async def test_renewal_keeps_lease() -> None:
    store = MemoryStore()
    a = LeaseManager(store, ttl_s=0.3)
    held = await a.acquire("t1", "w")
    assert held is not None
    held.start_renewing()
    try:
        await asyncio.sleep(0.5)  # past the TTL: renewal must have pushed it on
        assert await LeaseManager(store).acquire("t1", "w") is None
        assert await held.still_held()
    finally:
        await held.release()


async def test_dead_process_on_same_host_is_taken_over_at_once() -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    me = Owner.current()
    cases = [
        (replace(me, pid=int(dead.stdout), nonce="old"), True),  # crashed earlier incarnation
        (replace(me, nonce="old"), True),  # restarted under the same PID (PID 1 in a container)
        (replace(me, pid=os.getppid(), nonce="x"), False),  # another live process on this host
        (replace(me, host="elsewhere", nonce="x"), False),  # another host: only expiry frees it
        (me, False),  # this very process
    ]
    for holder, free in cases:
        store = MemoryStore()
        assert await LeaseManager(store, owner=holder).acquire("t1", "w") is not None
        assert (await LeaseManager(store, owner=me).acquire("t1", "w") is not None) == free, holder


@pytest.mark.parametrize("corrupt", [b"not json", b"[]"])
async def test_unreadable_lease_counts_as_expired(corrupt: bytes) -> None:
    store = MemoryStore()
    await store.put(lease_prefix("t1", "w") + "0000000000.json", corrupt)
    lease = await LeaseManager(store).acquire("t1", "w")
    assert lease is not None and lease.gen == 1


async def test_job_whose_lease_was_lost_is_finished_by_the_new_holder(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    sent = await write_split_blocks(
        store, "t1", windows=1, blocks_per_window=3, traces=2, now_ns=time.time_ns()
    )
    cfg = compactor_settings_with()
    slow = Compactor(store, cfg, BLOCK_CFG, leases=LeaseManager(store, ttl_s=0.05))
    state = await slow.scan("t1")
    (job,) = [j for wp in slow.plan(state) for j in wp.jobs]
    lease = await slow.leases.acquire("t1", str(job.window_start_ns // 10**9))
    assert lease is not None
    await asyncio.sleep(0.06)  # let the lease expire
    other = Compactor(store, cfg, BLOCK_CFG)
    assert (await other.leases.acquire("t1", str(job.window_start_ns // 10**9))) is not None
    with pytest.raises(LeaseLost):
        await slow.run_job(job, lease, state)
    # The output is visible, the inputs are not marked: queries see every span once.
    state = await other.scan("t1")
    assert len(state.live) == 4 and not state.compacted
    await assert_traces_complete(store, "t1", sent)
    # The new holder (here: its next cycle) finishes the job instead of merging again.
    result = await other.run_until_idle()
    assert result.jobs == 0 and result.recovered == 3
    state = await other.scan("t1")
    assert len(state.live) == 1 and len(state.compacted) == 3
    assert not await lease.still_held()
