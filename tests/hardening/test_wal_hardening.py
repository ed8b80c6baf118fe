"""Defect 4 of issue 17, unit level: a failed WAL append must not leave a tear that later
(acknowledged) records sit behind, and replay must continue past a corrupt record.

The real full disk, through a server process, is in test_wal_disk_full_e2e.py."""

from __future__ import annotations

import errno
import logging
import os
import random
import time
from pathlib import Path
from typing import Any

import pytest

from tempo_py import faults
from tempo_py.ingester import wal as wal_mod
from tempo_py.ingester.wal import KIND_ARROW, KIND_OTLP, WAL, Record, encode_record, read_segment


class _FailingWrite:
    """``os.write`` that, ``failures`` times, writes half of what it is given for real (a torn
    record, as a write cut short by a full disk) and then fails with ENOSPC."""

    def __init__(self, failures: int = 1, err: int = errno.ENOSPC) -> None:
        self.failures = failures
        self.err = err
        self.real = os.write

    def __call__(self, fd: int, data: Any) -> int:
        if self.failures > 0:
            self.failures -= 1
            self.real(fd, bytes(data[: len(data) // 2]))
            raise OSError(self.err, os.strerror(self.err))
        return self.real(fd, data)


def _payloads(records: list[Record]) -> list[bytes]:
    return [r.payload for r in records]


async def _reopened(directory: Path) -> list[Record]:
    """What a restart replays: a new WAL over the same directory (the old one is not closed, as
    after kill -9)."""
    return list(WAL(directory).replay())


async def test_failed_append_is_truncated_and_later_records_replay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wal = WAL(tmp_path)
    acked = [b"first " * 100]
    await wal.append(KIND_OTLP, "t", acked[0])
    monkeypatch.setattr(wal_mod.os, "write", _FailingWrite())
    with pytest.raises(OSError) as info:
        await wal.append(KIND_OTLP, "t", b"lost " * 1000)
    assert info.value.errno == errno.ENOSPC
    # the segment holds exactly the acknowledged record again, not the torn half
    assert wal.size_bytes() == len(encode_record(KIND_OTLP, "t", acked[0]))
    for i in range(5):  # "space freed": these appends succeed and are acknowledged
        acked.append(f"after {i} ".encode() * 200)
        await wal.append(KIND_OTLP, "t", acked[-1])
    assert _payloads(await _reopened(tmp_path)) == acked


async def test_append_after_failed_truncate_goes_to_a_new_segment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wal = WAL(tmp_path)
    await wal.append(KIND_OTLP, "t", b"one")
    first = wal.current
    monkeypatch.setattr(wal_mod.os, "write", _FailingWrite(err=errno.EIO))

    def no_truncate(fd: int, length: int) -> None:
        raise OSError(errno.EIO, "cannot truncate")

    monkeypatch.setattr(wal_mod.os, "ftruncate", no_truncate)
    with pytest.raises(OSError):
        await wal.append(KIND_OTLP, "t", b"torn" * 100)
    seq = await wal.append(KIND_OTLP, "t", b"two")
    assert seq > first  # the torn segment is never appended to again
    assert _payloads(await _reopened(tmp_path)) == [b"one", b"two"]


async def test_concurrent_appends_in_a_failed_batch_all_fail_and_none_replays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    wal = WAL(tmp_path)
    monkeypatch.setattr(wal_mod.os, "write", _FailingWrite())
    results = await asyncio.gather(
        *(wal.append(KIND_OTLP, "t", bytes([i]) * 500) for i in range(8)), return_exceptions=True
    )
    failed = [r for r in results if isinstance(r, OSError)]
    acked = [bytes([i]) * 500 for i, r in enumerate(results) if not isinstance(r, BaseException)]
    assert failed  # at least the first batch hit the fault
    await wal.append(KIND_ARROW, "t", b"later")
    assert _payloads(await _reopened(tmp_path)) == [*acked, b"later"]


async def test_fault_hook_tears_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(faults.FAULT_ENV, faults.WAL_ENOSPC_ONCE)
    monkeypatch.setattr(faults, "_taken", set())
    wal = WAL(tmp_path)
    with pytest.raises(OSError) as info:
        await wal.append(KIND_OTLP, "t", b"x" * 100)
    assert wal_mod.disk_full(info.value)
    await wal.append(KIND_OTLP, "t", b"y")
    assert _payloads(await _reopened(tmp_path)) == [b"y"]


def test_replay_continues_past_a_corrupt_record(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    recs = [encode_record(KIND_OTLP, f"tenant-{i}", f"payload {i} ".encode() * 50) for i in range(6)]
    data = bytearray(b"".join(recs))
    at = sum(len(r) for r in recs[:2])
    data[at + 20] ^= 0xFF  # flip a byte inside record 2's body: its CRC fails
    torn = bytes(data) + recs[0][: len(recs[0]) // 2]  # and a torn tail after the last record
    path = tmp_path / "00000000000000000001.wal"
    path.write_bytes(torn)
    with caplog.at_level(logging.WARNING):
        got = list(read_segment(path, 1))
    assert [r.tenant for r in got] == ["tenant-0", "tenant-1", "tenant-3", "tenant-4", "tenant-5"]
    assert got[2].payload == b"payload 3 " * 50
    assert f"skipped {len(recs[2])} bytes" in caplog.text


def test_replay_resyncs_past_a_corrupt_length(tmp_path: Path) -> None:
    recs = [encode_record(KIND_OTLP, "t", bytes([i]) * 300) for i in range(4)]
    data = bytearray(b"".join(recs))
    data[len(recs[0]) : len(recs[0]) + 4] = (2**31).to_bytes(4, "little")  # record 1 claims 2 GiB
    path = tmp_path / "00000000000000000001.wal"
    path.write_bytes(bytes(data))
    assert _payloads(list(read_segment(path, 1))) == [bytes([0]) * 300, bytes([2]) * 300, bytes([3]) * 300]


def test_resync_over_garbage_is_bounded(tmp_path: Path) -> None:
    """Bytes crafted so that every offset passes the cheap header checks and claims a long record:
    resync must still take time linear in the segment size (its CRC budget), not quadratic."""
    unit = (600_000).to_bytes(4, "little") + b"\0\0\0\0" + bytes([KIND_OTLP]) + b"\0\0"
    garbage = (unit * (1_200_000 // len(unit)))[:1_200_000]
    good = encode_record(KIND_OTLP, "t", b"ok")
    path = tmp_path / "00000000000000000001.wal"
    path.write_bytes(good + garbage)
    t0 = time.perf_counter()
    got = list(read_segment(path, 1))
    elapsed = time.perf_counter() - t0
    assert _payloads(got) == [b"ok"]
    assert elapsed < 30  # unbounded, this is ~1e6 CRCs of ~600 KB each: hours


def test_replay_of_random_corruption_keeps_every_intact_record(tmp_path: Path) -> None:
    rng = random.Random(4)
    recs = [encode_record(KIND_OTLP, "t", rng.randbytes(rng.randrange(10, 2000))) for _ in range(200)]
    data = bytearray(b"".join(recs))
    damaged: set[int] = set()
    starts = [sum(len(r) for r in recs[:i]) for i in range(len(recs))]
    for i in rng.sample(range(len(recs)), 20):
        data[starts[i] + rng.randrange(len(recs[i]))] ^= 0x5A
        damaged.add(i)
    path = tmp_path / "00000000000000000001.wal"
    path.write_bytes(bytes(data))
    got = _payloads(list(read_segment(path, 1)))
    want = [recs[i][8 + 3 + 1 :] for i in range(len(recs)) if i not in damaged]
    assert got == want
