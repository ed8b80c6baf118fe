"""The agent's on-disk queue: fsync before ack, order, restart, torn tails, the bound."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tempo_py.agent.queue import DiskQueue, QueueFull, RecordTooLarge


def disk_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.glob("*.seg"))


async def test_records_come_back_in_order_and_acked_segments_go(tmp_path: Path) -> None:
    q = DiskQueue(tmp_path, max_bytes=1 << 20, segment_bytes=1 << 16)
    q.open()
    for i in range(300):
        await q.append("t1" if i % 2 else "t2", f"payload-{i}".encode() * 50, i)
    assert len(list(tmp_path.glob("*.seg"))) > 1  # rolled at segment_bytes
    got = []
    while len(got) < 300:  # read_batch waits for a record: read exactly what was queued
        batch = await q.read_batch(max_spans=1000, max_bytes=10_000, linger_s=0)
        assert batch is not None and batch.records
        got.extend(batch.records)
        assert sum(len(r.payload) for r in batch.records) <= 10_000 or len(batch.records) == 1
        await q.ack(batch.end)
    assert [r.spans for r in got] == list(range(300))
    assert got[7].tenant == "t1" and got[7].payload == b"payload-7" * 50
    await q.append("t1", b"x", 1)  # the writer rolls away from the drained segment
    batch = await q.read_batch(10, 10_000, 0)
    assert batch is not None
    await q.ack(batch.end)
    assert q.pending_records_bytes == 0
    assert disk_bytes(tmp_path) < 100
    await q.close()


async def test_unacked_records_survive_a_restart_and_acked_ones_do_not_return(tmp_path: Path) -> None:
    q = DiskQueue(tmp_path, 1 << 20, 1 << 16)
    q.open()
    for i in range(10):
        await q.append("t", bytes([i]) * 10, 1)
    batch = await q.read_batch(max_spans=4, max_bytes=1 << 20, linger_s=0)
    assert batch is not None and len(batch.records) == 4
    await q.ack(batch.end)
    await q.read_batch(max_spans=3, max_bytes=1 << 20, linger_s=0)  # read, never acked
    await q.close()

    q2 = DiskQueue(tmp_path, 1 << 20, 1 << 16)
    q2.open()
    await q2.append("t", bytes([10]) * 10, 1)
    batch = await q2.read_batch(max_spans=100, max_bytes=1 << 20, linger_s=0)
    assert batch is not None
    assert [r.payload[0] for r in batch.records] == list(range(4, 11))
    await q2.close()


async def test_a_torn_tail_is_cut_and_what_came_before_kept(tmp_path: Path) -> None:
    q = DiskQueue(tmp_path, 1 << 20, 1 << 16)
    q.open()
    await q.append("t", b"kept", 1)
    await q.close()
    (seg,) = tmp_path.glob("*.seg")
    with open(seg, "ab") as f:  # a crash mid-write: half a header and some bytes
        f.write(b"\x10\x00\x00\x00\x99")
        os.fsync(f.fileno())
    q2 = DiskQueue(tmp_path, 1 << 20, 1 << 16)
    q2.open()
    batch = await q2.read_batch(10, 1 << 20, 0)
    assert batch is not None and [r.payload for r in batch.records] == [b"kept"]
    await q2.close()


async def test_the_bound_refuses_appends_and_holds_on_disk(tmp_path: Path) -> None:
    q = DiskQueue(tmp_path, max_bytes=200_000, segment_bytes=65_536)
    q.open()
    accepted = 0
    with pytest.raises(QueueFull):
        for _ in range(1000):
            await q.append("t", b"y" * 1000, 1)
            accepted += 1
            assert disk_bytes(tmp_path) <= 200_000
    assert 150 < accepted < 200
    assert disk_bytes(tmp_path) <= 200_000
    with pytest.raises(RecordTooLarge):
        await q.append("t", b"z" * 70_000, 1)
    # Delivering frees room again.
    batch = await q.read_batch(1000, 1 << 20, 0)
    assert batch is not None
    await q.ack(batch.end)
    await q.append("t", b"y" * 1000, 1)
    assert disk_bytes(tmp_path) <= 200_000
    await q.close()


async def test_concurrent_appends_share_commits(tmp_path: Path) -> None:
    import asyncio

    q = DiskQueue(tmp_path, 1 << 24, 1 << 20)
    q.open()
    await asyncio.gather(*(q.append("t", str(i).encode(), 1) for i in range(200)))
    batch = await q.read_batch(1000, 1 << 20, 0)
    assert batch is not None
    assert sorted(int(r.payload) for r in batch.records) == list(range(200))
    await q.close()
