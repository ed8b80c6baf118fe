"""Admission: a push that does not fit waits for room and is refused only when none comes soon."""

from __future__ import annotations

import asyncio

import pytest

from tempo_py.ingester.admission import Admission
from tempo_py.push import Overloaded


class Memory:
    def __init__(self) -> None:
        self.held = 0

    def __call__(self) -> int:
        return self.held


def test_fits_at_once_and_reservations_count() -> None:
    async def main() -> None:
        mem = Memory()
        adm = Admission("i", 100, mem)
        await adm.admit(60)
        assert adm.reserved == 60
        mem.held += 60
        adm.taken(60)
        assert adm.reserved == 0
        await adm.admit(40)  # exactly at the limit still fits

    asyncio.run(main())


def test_waiter_proceeds_when_memory_is_released_in_fifo_order() -> None:
    async def main() -> None:
        mem = Memory()
        mem.held = 90
        adm = Admission("i", 100, mem, max_waiting_bytes=1000)
        order: list[str] = []

        async def push(name: str, cost: int) -> None:
            await adm.admit(cost)
            order.append(name)
            mem.held += cost
            adm.taken(cost)

        a = asyncio.create_task(push("a", 50))
        await asyncio.sleep(0.01)
        b = asyncio.create_task(push("b", 5))  # fits now, but must not jump the queue
        await asyncio.sleep(0.01)
        assert order == [] and adm.waiting_bytes == 55
        mem.held = 40
        adm.released(50)
        await asyncio.gather(a, b)
        assert order == ["a", "b"] and mem.held == 95 and adm.reserved == 0 and adm.waiting_bytes == 0

    asyncio.run(main())


def test_refused_when_too_much_is_waiting_or_the_wait_runs_out() -> None:
    async def main() -> None:
        mem = Memory()
        mem.held = 100
        adm = Admission("i", 100, mem, max_waiting_bytes=30, max_wait_s=0.2)
        with pytest.raises(Overloaded) as too_big:
            await adm.admit(101)
        assert "can never fit" in str(too_big.value)
        waiter = asyncio.create_task(adm.admit(20))
        await asyncio.sleep(0.01)
        with pytest.raises(Overloaded) as queued:
            await adm.admit(20)  # 20 + 20 waiting > 30
        assert "already waiting" in str(queued.value)
        with pytest.raises(Overloaded) as timed_out:
            await waiter
        assert "waited" in str(timed_out.value)
        assert adm.waiting_bytes == 0 and adm.reserved == 0
        # nothing drained yet: the longest Retry-After
        assert timed_out.value.retry_after_s == 30.0

    asyncio.run(main())


def test_retry_after_follows_the_drain_rate() -> None:
    async def main() -> None:
        mem = Memory()
        mem.held = 1000
        adm = Admission("i", 1000, mem, max_waiting_bytes=10**6, max_wait_s=5.0)
        adm.released(100)  # ~100 bytes/s over the (1 s minimum) window
        with pytest.raises(Overloaded) as e:
            await adm.admit(800)  # needs 800 bytes: ~8 s at 100 B/s, over the 5 s wait limit
        assert 7.0 <= e.value.retry_after_s <= 9.0
        assert "within the wait limit" in str(e.value)

    asyncio.run(main())


def test_cancelled_waiter_gives_its_place_back() -> None:
    async def main() -> None:
        mem = Memory()
        mem.held = 100
        adm = Admission("i", 100, mem, max_waiting_bytes=100)
        t = asyncio.create_task(adm.admit(10))
        await asyncio.sleep(0.01)
        t.cancel()
        with pytest.raises(asyncio.CancelledError):
            await t
        assert adm.waiting_bytes == 0 and adm.reserved == 0
        mem.held = 0
        await adm.admit(100)

    asyncio.run(main())
