"""Write-ahead log: acknowledged means durable.

Segments are append-only files ``<dir>/<seq:020d>.wal`` of records::

    u32 length | u32 crc32(body) | body = u8 kind | u16 tenant length | tenant | payload

``kind`` 1 is an OTLP ExportTraceServiceRequest (the bytes a client sent, or the distributor's
per-ingester share of them); kind 2 is an Arrow IPC stream of span rows (live traces carried
over when a block is cut). Group commit: concurrent appends share one write + fsync, so the
cost of durability is one fsync per batch, not per request. A torn tail (crash mid-write) is
detected by length/CRC on replay and ignored: it was never acknowledged.

A failed append (ENOSPC, EIO...) may leave part of its batch in the segment. Before anything else is
written the segment is truncated back to the end of the last fsynced batch; if even that fails, the
segment is closed for good and the next append starts a new one. Either way no acknowledged record
ever sits behind a tear. Replay still resynchronises past a corrupt record (bit rot, or a WAL written
before this rule) by scanning forward for the next record whose header and CRC check out.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tempo_py.faults import WAL_ENOSPC_ONCE, take_fault

log = logging.getLogger(__name__)

# A full disk (or quota) is the one WAL failure a client should simply retry: the failed batch was
# dropped and nothing else is affected. Retry-After for it; space usually comes back by a flush.
DISK_FULL_RETRY_AFTER_S = 5.0
_DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})

KIND_OTLP = 1
KIND_ARROW = 2
_HEAD = struct.Struct("<II")
_BODY_HEAD = struct.Struct("<BH")


@dataclass(frozen=True)
class Record:
    """One replayed WAL record."""

    segment: int
    kind: int
    tenant: str
    payload: bytes


def disk_full(exc: OSError) -> bool:
    """Whether an append failed because the WAL's filesystem is out of space or quota."""
    return exc.errno in _DISK_FULL


def encode_record(kind: int, tenant: str, payload: bytes) -> bytes:
    """Framed record bytes."""
    t = tenant.encode()
    body = _BODY_HEAD.pack(kind, len(t)) + t + payload
    return _HEAD.pack(len(body), zlib.crc32(body)) + body


# Resync tries a CRC at each candidate offset that passes the cheap header checks, and a CRC costs
# the candidate's claimed length. Capping that total keeps replay linear in the segment size even
# over data crafted to look like headers (payloads are client bytes).
_RESYNC_WORK_FACTOR = 4
_KINDS = (KIND_OTLP, KIND_ARROW)


def _record_at(data: bytes, off: int) -> tuple[int, int]:
    """(record size or 0 if no whole, CRC-valid record starts at ``off``, bytes CRC'd to find out).
    Cheap checks first so that scanning random bytes computes few CRCs."""
    if off + _HEAD.size + _BODY_HEAD.size > len(data):
        return 0, 0
    length, crc = _HEAD.unpack_from(data, off)
    start = off + _HEAD.size
    if length < _BODY_HEAD.size or start + length > len(data):
        return 0, 0
    kind, tlen = _BODY_HEAD.unpack_from(data, start)
    if kind not in _KINDS or tlen > length - _BODY_HEAD.size:
        return 0, 0
    if zlib.crc32(memoryview(data)[start : start + length]) != crc:
        return 0, length
    return _HEAD.size + length, length


def read_segment(path: Path, seq: int) -> Iterator[Record]:
    """Records of one segment. A torn or corrupt record is skipped: replay resumes at the next
    offset where a whole record validates (bounded work, see ``_RESYNC_WORK_FACTOR``)."""
    data = path.read_bytes()
    off = 0
    budget = _RESYNC_WORK_FACTOR * len(data)
    while off < len(data):
        size, cost = _record_at(data, off)
        budget -= cost
        if size:
            body = off + _HEAD.size + _BODY_HEAD.size
            kind, tlen = _BODY_HEAD.unpack_from(data, off + _HEAD.size)
            try:
                tenant = data[body : body + tlen].decode()
            except UnicodeDecodeError:  # CRC-valid yet not a record we wrote: corruption
                size = 0
            else:
                yield Record(seq, kind, tenant, data[body + tlen : off + size])
                off += size
                continue
        bad = off
        off, budget = _resync(data, off + 1, budget)
        if off >= len(data):
            log.warning(
                "WAL %s: torn or corrupt data at offset %d; the last %d bytes ignored",
                path,
                bad,
                len(data) - bad,
            )
            return
        log.warning(
            "WAL %s: corrupt record at offset %d; skipped %d bytes to the next valid record at %d",
            path,
            bad,
            off - bad,
            off,
        )


def _resync(data: bytes, off: int, budget: int) -> tuple[int, int]:
    """(offset of the next valid record at or after ``off``, or len(data); budget left)."""
    n = len(data)
    while off < n and budget > 0:
        hi = min(off + _WINDOW, n)
        for cand in _candidates(data, off, hi):
            size, cost = _record_at(data, cand)
            budget -= cost
            if size:
                return cand, budget
            if budget <= 0:
                hi = cand
                break
        off = hi
    if off < n:
        log.warning("WAL resync: work bound reached at offset %d; the rest of the segment is skipped", off)
    return n, budget


_WINDOW = 1 << 20


def _candidates(data: bytes, lo: int, hi: int) -> list[int]:
    """Offsets in [lo, hi) that pass ``_record_at``'s cheap header checks, ascending. Vectorised:
    a Python loop per byte would take minutes over a large segment."""
    n = len(data)
    hi = min(hi, n - _HEAD.size - _BODY_HEAD.size + 1)
    if hi <= lo:
        return []
    m = hi - lo
    a = np.frombuffer(data, dtype=np.uint8, count=m + _HEAD.size + _BODY_HEAD.size - 1, offset=lo)
    w = a.astype(np.int64)
    length = w[0:m] | (w[1 : m + 1] << 8) | (w[2 : m + 2] << 16) | (w[3 : m + 3] << 24)
    kind = a[8 : m + 8]
    tlen = w[9 : m + 9] | (w[10 : m + 10] << 8)
    pos = np.arange(lo, hi, dtype=np.int64)
    ok = (
        ((kind == KIND_OTLP) | (kind == KIND_ARROW))
        & (length >= _BODY_HEAD.size)
        & (pos + _HEAD.size + length <= n)
        & (tlen <= length - _BODY_HEAD.size)
    )
    return [int(x) for x in pos[ok]]


class WAL:
    """Segmented WAL with group commit. One per ingester."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        existing = self.segments()
        self._seq = (existing[-1] + 1) if existing else 1
        self._file: int | None = None  # None: the next write opens a new segment first
        self._good = 0  # bytes of the current segment holding whole, fsynced records
        try:
            self._file = self._open(self._seq)
        except OSError as e:  # disk full at startup: replay can still run; appends retry the open
            log.error("WAL %s: cannot open segment %d (%s); appends will retry", directory, self._seq, e)
        self._buf: list[bytes] = []
        self._waiters: list[asyncio.Future[int]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._io_lock = asyncio.Lock()
        self.bytes_written = 0

    @property
    def current(self) -> int:
        """Sequence number of the segment being appended to."""
        return self._seq

    def segments(self) -> list[int]:
        """Sequence numbers of segment files on disk, ascending."""
        return sorted(int(p.stem) for p in self.dir.glob("*.wal") if p.stem.isdigit())

    def _path(self, seq: int) -> Path:
        return self.dir / f"{seq:020d}.wal"

    def _open(self, seq: int) -> int:
        fd = os.open(self._path(seq), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            dfd = os.open(self.dir, os.O_RDONLY)
            try:
                os.fsync(dfd)  # the new file's directory entry must survive a crash too
            finally:
                os.close(dfd)
        except OSError:
            os.close(fd)
            raise
        return fd

    def _next_segment(self) -> None:
        """Close the current segment (if any) and open the next. On failure no segment is open and
        the next write tries again with a fresh number (gaps in numbering are harmless)."""
        if self._file is not None:
            fd, self._file = self._file, None
            os.close(fd)
        self._seq += 1
        self._good = 0
        self._file = self._open(self._seq)

    def replay(self) -> Iterator[Record]:
        """Every intact record of every segment before the current one, in order."""
        for seq in self.segments():
            if seq < self._seq:
                yield from read_segment(self._path(seq), seq)

    async def append(self, kind: int, tenant: str, payload: bytes) -> int:
        """Append and wait until the record is on disk (fsynced). Returns its segment number: the
        segment it was actually written to, which a rotation or a failed segment may have changed
        since the call."""
        fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._buf.append(encode_record(kind, tenant, payload))
        self._waiters.append(fut)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_loop())
        return await fut

    async def _flush_loop(self) -> None:
        while self._buf:
            buf, waiters = self._buf, self._waiters
            self._buf, self._waiters = [], []
            data = b"".join(buf)
            try:
                async with self._io_lock:
                    seq = await asyncio.to_thread(self._write_sync, data)
                self.bytes_written += len(data)
            except OSError as e:
                for w in waiters:
                    if not w.done():
                        w.set_exception(e)
                continue
            for w in waiters:
                if not w.done():
                    w.set_result(seq)

    def _write_sync(self, data: bytes) -> int:
        """Write and fsync one batch (in a worker thread, under the io lock); returns its segment.
        On failure the segment is left as it was before the batch (see :meth:`_drop_tail`)."""
        if self._file is None:
            self._next_segment()
        assert self._file is not None
        fd = self._file
        try:
            if take_fault(WAL_ENOSPC_ONCE):
                os.write(fd, data[: len(data) // 2])  # a torn half, as a write cut short by a full disk
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fdatasync(fd)
        except OSError:
            self._drop_tail(fd)
            raise
        self._good += len(data)
        return self._seq

    def _drop_tail(self, fd: int) -> None:
        """Remove whatever a failed batch left after the last good record, so no later (acknowledged)
        record is appended behind a tear. If the segment cannot be truncated, abandon it: the next
        write starts a new segment, and replay ignores the torn tail of this one."""
        try:
            os.ftruncate(fd, self._good)
            os.fsync(fd)  # the shorter size must be what a crash leaves, too
        except OSError as e:
            log.error(
                "WAL %s: cannot truncate segment %d after a failed append (%s); starting a new one",
                self.dir,
                self._seq,
                e,
            )
            self._file = None
            with contextlib.suppress(OSError):
                os.close(fd)
            return
        log.warning(
            "WAL %s: append failed; segment %d truncated back to %d bytes", self.dir, self._seq, self._good
        )

    async def rotate(self) -> int:
        """Start a new segment; returns the new sequence number. Earlier segments become immutable."""
        while self._flusher is not None and not self._flusher.done():
            await asyncio.shield(self._flusher)
        async with self._io_lock:
            await asyncio.to_thread(self._next_segment)
            return self._seq

    def delete_before(self, seq: int) -> None:
        """Delete segments older than ``seq`` (their data is in visible blocks)."""
        for s in self.segments():
            if s < seq:
                self._path(s).unlink(missing_ok=True)

    def size_bytes(self) -> int:
        """Bytes of all segments on disk."""
        total = 0
        for s in self.segments():
            with contextlib.suppress(FileNotFoundError):  # deleted by a cut meanwhile
                total += self._path(s).stat().st_size
        return total

    async def close(self) -> None:
        """Flush pending appends and close the current segment."""
        while self._flusher is not None and not self._flusher.done():
            await asyncio.shield(self._flusher)
        if self._file is not None:
            fd, self._file = self._file, None
            os.close(fd)
