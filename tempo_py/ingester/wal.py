"""Write-ahead log: acknowledged means durable.

Segments are append-only files ``<dir>/<seq:020d>.wal`` of records::

    u32 length | u32 crc32(body) | body = u8 kind | u16 tenant length | tenant | payload

``kind`` 1 is an OTLP ExportTraceServiceRequest (the bytes a client sent, or the distributor's
per-ingester share of them); kind 2 is an Arrow IPC stream of span rows (live traces carried
over when a block is cut). Group commit: concurrent appends share one write + fsync, so the
cost of durability is one fsync per batch, not per request. A torn tail (crash mid-write) is
detected by length/CRC on replay and ignored: it was never acknowledged.
"""

from __future__ import annotations

import asyncio
import logging
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

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


def encode_record(kind: int, tenant: str, payload: bytes) -> bytes:
    """Framed record bytes."""
    t = tenant.encode()
    body = _BODY_HEAD.pack(kind, len(t)) + t + payload
    return _HEAD.pack(len(body), zlib.crc32(body)) + body


def read_segment(path: Path, seq: int) -> Iterator[Record]:
    """Records of one segment, stopping at the first torn or corrupt record."""
    data = path.read_bytes()
    off = 0
    while off + _HEAD.size <= len(data):
        length, crc = _HEAD.unpack_from(data, off)
        body = data[off + _HEAD.size : off + _HEAD.size + length]
        if len(body) < length or zlib.crc32(body) != crc:
            log.warning("WAL %s: torn or corrupt record at offset %d; ignoring the rest", path, off)
            return
        kind, tlen = _BODY_HEAD.unpack_from(body)
        tenant = body[_BODY_HEAD.size : _BODY_HEAD.size + tlen].decode()
        yield Record(seq, kind, tenant, body[_BODY_HEAD.size + tlen :])
        off += _HEAD.size + length


class WAL:
    """Segmented WAL with group commit. One per ingester."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        existing = self.segments()
        self._seq = (existing[-1] + 1) if existing else 1
        self._file = self._open(self._seq)
        self._buf: list[bytes] = []
        self._waiters: list[asyncio.Future[None]] = []
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
        dfd = os.open(self.dir, os.O_RDONLY)
        try:
            os.fsync(dfd)  # the new file's directory entry must survive a crash too
        finally:
            os.close(dfd)
        return fd

    def replay(self) -> Iterator[Record]:
        """Every intact record of every segment before the current one, in order."""
        for seq in self.segments():
            if seq < self._seq:
                yield from read_segment(self._path(seq), seq)

    async def append(self, kind: int, tenant: str, payload: bytes) -> int:
        """Append and wait until the record is on disk (fsynced). Returns its segment number."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._buf.append(encode_record(kind, tenant, payload))
        self._waiters.append(fut)
        seq = self._seq
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_loop())
        await fut
        return seq

    async def _flush_loop(self) -> None:
        while self._buf:
            buf, waiters = self._buf, self._waiters
            self._buf, self._waiters = [], []
            data = b"".join(buf)
            try:
                async with self._io_lock:
                    await asyncio.to_thread(self._write_sync, self._file, data)
                self.bytes_written += len(data)
            except OSError as e:
                for w in waiters:
                    if not w.done():
                        w.set_exception(e)
                continue
            for w in waiters:
                if not w.done():
                    w.set_result(None)

    @staticmethod
    def _write_sync(fd: int, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fdatasync(fd)

    async def rotate(self) -> int:
        """Start a new segment; returns the new sequence number. Earlier segments become immutable."""
        while self._flusher is not None and not self._flusher.done():
            await asyncio.shield(self._flusher)
        async with self._io_lock:
            os.close(self._file)
            self._seq += 1
            self._file = self._open(self._seq)
        return self._seq

    def delete_before(self, seq: int) -> None:
        """Delete segments older than ``seq`` (their data is in visible blocks)."""
        for s in self.segments():
            if s < seq:
                self._path(s).unlink(missing_ok=True)

    def size_bytes(self) -> int:
        """Bytes of all segments on disk."""
        return sum(self._path(s).stat().st_size for s in self.segments() if self._path(s).exists())

    async def close(self) -> None:
        """Flush pending appends and close the current segment."""
        while self._flusher is not None and not self._flusher.done():
            await asyncio.shield(self._flusher)
        os.close(self._file)
