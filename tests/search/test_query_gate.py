"""The query gate: at most N searches run, the rest wait per tenant, deadlines answer 429 / 504."""

from __future__ import annotations

import asyncio

import pytest

from tempo_py.querier.query_gate import QueryGate, QueryTimeout, QueueFull


async def test_runs_at_most_max_concurrent_and_queues_the_rest() -> None:
    gate = QueryGate(max_concurrent=2, max_waiting_per_tenant=10, timeout_s=5)
    running, peak = 0, 0
    release = asyncio.Event()

    async def search() -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await release.wait()
        running -= 1
        return 1

    tasks = [asyncio.create_task(gate.run("t", search)) for _ in range(5)]
    await asyncio.sleep(0.05)
    assert running == 2
    release.set()
    assert sum(await asyncio.gather(*tasks)) == 5
    assert peak == 2


async def test_a_full_queue_answers_at_once_and_other_tenants_still_queue() -> None:
    gate = QueryGate(max_concurrent=1, max_waiting_per_tenant=1, timeout_s=5)
    release = asyncio.Event()

    async def search() -> str:
        await release.wait()
        return "done"

    first = asyncio.create_task(gate.run("a", search))  # runs
    await asyncio.sleep(0.01)
    second = asyncio.create_task(gate.run("a", search))  # waits
    await asyncio.sleep(0.01)
    with pytest.raises(QueueFull, match="job queue full"):
        await gate.run("a", search)
    other = asyncio.create_task(gate.run("b", search))  # another tenant's line is its own
    await asyncio.sleep(0.01)
    assert not other.done()
    release.set()
    assert await asyncio.gather(first, second, other) == ["done"] * 3


async def test_waiting_past_the_deadline_is_queue_full() -> None:
    gate = QueryGate(max_concurrent=1, max_waiting_per_tenant=10, timeout_s=5)
    release = asyncio.Event()

    async def held() -> None:
        await release.wait()

    running = asyncio.create_task(gate.run("t", held))  # holds the slot, deadline 5 s away
    await asyncio.sleep(0.01)
    gate.timeout_s = 0.1  # a later search's deadline passes before the slot frees
    with pytest.raises(QueueFull, match="no free querier slot"):
        await gate.run("t", held)
    release.set()
    await running


async def test_running_past_the_deadline_is_cancelled_and_frees_the_slot() -> None:
    gate = QueryGate(max_concurrent=1, max_waiting_per_tenant=10, timeout_s=0.1)
    cancelled = asyncio.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with pytest.raises(QueryTimeout, match="query_timeout"):
        await gate.run("t", slow)
    assert cancelled.is_set()

    async def quick() -> int:
        return 7

    assert await gate.run("t", quick) == 7


async def test_a_timeout_inside_the_search_is_not_taken_for_the_deadline() -> None:
    gate = QueryGate(max_concurrent=1, max_waiting_per_tenant=1, timeout_s=5)

    async def storage_timeout() -> None:
        raise TimeoutError("s3 read timed out")

    with pytest.raises(TimeoutError, match="s3"):
        await gate.run("t", storage_timeout)
