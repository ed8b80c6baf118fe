"""The agent's bounded on-disk queue: acknowledged means fsynced here, delivered means acked there.

Records are appended to segment files ``<seq>.seg`` in ``path``; each record is
``<payload length, crc32, span count, tenant length>`` (little-endian u32, u32, u32, u16), the
tenant, then the payload (a serialized OTLP ``ExportTraceServiceRequest``). Appends are group
committed: every append waiting while a write+fsync runs goes into the next one, and
:meth:`DiskQueue.append` returns only once its record is fsynced. The reader (the forwarder) reads
committed records in order and calls :meth:`DiskQueue.ack` once a batch is delivered; the ack
position is kept in ``cursor.json`` (temp file, fsync, rename), and segments wholly before it are
deleted.

Bound: the bytes of every segment file on disk never exceed ``max_bytes``; an append that would
cross it raises :class:`QueueFull` (the receivers answer 429 / RESOURCE_EXHAUSTED). Delivered bytes
still in the segment being written count until the segment is rolled, which the next append does
once the reader has caught up with it, so a drained queue holds at most its last commit.

Restart: the cursor says where delivery stopped; a torn record at the end of the last segment (a
crash mid-write, never acknowledged) is cut off; writing continues in a new segment.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

_HEADER = struct.Struct("<IIIH")
_SUFFIX = ".seg"
_CURSOR = "cursor.json"


class QueueFull(Exception):
    """The queue is at ``max_bytes``; nothing was written."""


class RecordTooLarge(ValueError):
    """A record larger than a segment; nothing was written."""


@dataclass(frozen=True, order=True)
class Position:
    """A place in the queue: a segment and a byte offset in it."""

    segment: int
    offset: int


@dataclass(frozen=True)
class Record:
    """One queued push."""

    tenant: str
    payload: bytes
    spans: int


@dataclass(frozen=True)
class Batch:
    """Consecutive records and the position just after the last, to :meth:`DiskQueue.ack`."""

    records: list[Record]
    end: Position

    @property
    def spans(self) -> int:
        """Spans in every record of the batch."""
        return sum(r.spans for r in self.records)


def encode_record(tenant: str, payload: bytes, spans: int) -> bytes:
    """A record's bytes on disk."""
    t = tenant.encode()
    crc = zlib.crc32(payload, zlib.crc32(t, spans))
    return _HEADER.pack(len(payload), crc, spans, len(t)) + t + payload


def _decode_at(data: bytes, offset: int) -> tuple[Record, int] | None:
    """The record at ``offset`` in ``data`` and the offset after it; None if torn or corrupt."""
    if offset + _HEADER.size > len(data):
        return None
    length, crc, spans, tlen = _HEADER.unpack_from(data, offset)
    start = offset + _HEADER.size
    end = start + tlen + length
    if end > len(data):
        return None
    t = data[start : start + tlen]
    payload = data[start + tlen : end]
    if zlib.crc32(payload, zlib.crc32(t, spans)) != crc:
        return None
    return Record(t.decode(errors="replace"), payload, spans), end


def _seg_name(seq: int) -> str:
    return f"{seq:020d}{_SUFFIX}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DiskQueue:
    """A single-writer (the event loop), single-reader queue of records in segment files."""

    def __init__(self, path: str | os.PathLike[str], max_bytes: int, segment_bytes: int) -> None:
        if segment_bytes > max_bytes:
            raise ValueError(f"segment_bytes ({segment_bytes}) must not exceed max_bytes ({max_bytes})")
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.segment_bytes = segment_bytes
        self._sizes: dict[int, int] = {}  # committed bytes of every segment on disk, by seq
        self._reserved = 0  # bytes of appends waiting for their commit
        self._acked = Position(0, 0)
        self._read = Position(0, 0)
        self._active = 0
        self._fd = -1
        self._pending: list[tuple[bytes, asyncio.Future[None]]] = []
        self._committer: asyncio.Task[None] | None = None
        self._data_event = asyncio.Event()
        self._closed = False

    # ------------------------------------------------------------------------------- open / close

    def open(self) -> None:
        """Recover from the directory (creating it), then start a new segment to write."""
        self.path.mkdir(parents=True, exist_ok=True)
        for tmp in self.path.glob("*.tmp"):
            tmp.unlink()
        seqs = sorted(int(p.name[: -len(_SUFFIX)]) for p in self.path.glob(f"*{_SUFFIX}"))
        cursor = self._load_cursor()
        for seq in seqs:
            self._sizes[seq] = (self.path / _seg_name(seq)).stat().st_size
        if seqs:
            last = seqs[-1]
            data = (self.path / _seg_name(last)).read_bytes()
            good = 0
            while (decoded := _decode_at(data, good)) is not None:
                good = decoded[1]
            if good < len(data):  # a torn tail: written, never fsynced-and-acknowledged
                with open(self.path / _seg_name(last), "r+b") as f:
                    f.truncate(good)
                    os.fsync(f.fileno())
                self._sizes[last] = good
        if seqs:
            # A cursor before the first segment: those were delivered and deleted.
            after_first = cursor is not None and cursor.segment >= seqs[0]
            self._acked = cursor if cursor is not None and after_first else Position(seqs[0], 0)
            self._active = max(seqs[-1], self._acked.segment) + 1
        else:  # nothing queued: continue after the cursor's segment
            self._active = cursor.segment + 1 if cursor is not None else 0
            self._acked = Position(self._active, 0)
        self._read = self._acked
        self._open_segment(self._active)
        self._delete_delivered()

    def _open_segment(self, seq: int) -> None:
        self._fd = os.open(self.path / _seg_name(seq), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._sizes.setdefault(seq, 0)
        self._active = seq
        _fsync_dir(self.path)

    def _load_cursor(self) -> Position | None:
        try:
            d = json.loads((self.path / _CURSOR).read_text())
            return Position(int(d["segment"]), int(d["offset"]))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{self.path / _CURSOR}: unreadable queue cursor ({exc})") from exc

    async def close(self) -> None:
        """Finish the commit under way, then close the segment; later appends fail."""
        self._closed = True
        while self._committer is not None and not self._committer.done():
            with contextlib.suppress(Exception):
                await asyncio.shield(self._committer)
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self._data_event.set()

    # ---------------------------------------------------------------------------------- writing

    @property
    def used_bytes(self) -> int:
        """Bytes of every segment on disk, plus appends waiting for their commit."""
        return sum(self._sizes.values()) + self._reserved

    @property
    def pending_records_bytes(self) -> int:
        """Committed bytes not yet delivered (read or not)."""
        total = 0
        for seq, size in self._sizes.items():
            if seq > self._acked.segment:
                total += size
            elif seq == self._acked.segment:
                total += size - self._acked.offset
        return total

    async def append(self, tenant: str, payload: bytes, spans: int) -> None:
        """Queue one record; returns once it is fsynced. Raises :class:`QueueFull` over the bound."""
        if self._closed:
            raise QueueFull("the queue is closed (agent shutting down)")
        rec = encode_record(tenant, payload, spans)
        if len(rec) > self.segment_bytes:
            raise RecordTooLarge(f"record of {len(rec)} bytes is larger than a queue segment")
        if self.used_bytes + len(rec) > self.max_bytes:
            raise QueueFull(f"agent queue full ({self.used_bytes} of {self.max_bytes} bytes)")
        self._reserved += len(rec)
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((rec, fut))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_loop())
        await fut

    async def _commit_loop(self) -> None:
        while self._pending:
            group, self._pending = self._pending, []
            data = b"".join(rec for rec, _ in group)
            try:
                if self._caught_up() or self._sizes[self._active] + len(data) > self.segment_bytes:
                    self._roll()
                await asyncio.to_thread(self._write, self._fd, data)
            except BaseException as exc:
                self._reserved -= len(data)
                for _, fut in group:
                    if not fut.done():
                        fut.set_exception(exc if isinstance(exc, Exception) else OSError(str(exc)))
                if not isinstance(exc, Exception):
                    raise
                continue
            self._reserved -= len(data)
            self._sizes[self._active] += len(data)
            for _, fut in group:
                if not fut.done():
                    fut.set_result(None)
            self._data_event.set()

    @staticmethod
    def _write(fd: int, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)

    def _caught_up(self) -> bool:
        """Whether every byte of the (non-empty) active segment is delivered: time to roll it away."""
        size = self._sizes[self._active]
        return size > 0 and self._acked == Position(self._active, size)

    def _roll(self) -> None:
        os.close(self._fd)
        self._open_segment(self._active + 1)
        if self._acked.segment == self._active - 1 and self._acked.offset == self._sizes[self._active - 1]:
            self._acked = Position(self._active, 0)
            if self._read < self._acked:
                self._read = self._acked
            self._write_cursor()
        self._delete_delivered()

    # ---------------------------------------------------------------------------------- reading

    def _next_readable(self) -> Position | None:
        """The read position moved past finished segments; None when nothing committed is unread."""
        pos = self._read
        while True:
            size = self._sizes.get(pos.segment)
            if size is None:
                later = [s for s in self._sizes if s > pos.segment]
                if not later:
                    return None
                pos = Position(min(later), 0)
                continue
            if pos.offset < size:
                self._read = pos
                return pos
            if pos.segment >= self._active:
                self._read = pos
                return None
            pos = Position(pos.segment + 1, 0)

    async def read_batch(self, max_spans: int, max_bytes: int, linger_s: float) -> Batch | None:
        """The next records not yet read: waits for one, then up to ``linger_s`` for more.

        The batch ends at ``max_spans`` spans or ``max_bytes`` payload bytes (a single larger
        record is a batch of its own). Returns None once the queue is closed with nothing left.
        Records read but not acked are read again after a restart (and after :meth:`rewind`).
        """
        while self._next_readable() is None:
            if self._closed:
                return None
            self._data_event.clear()
            await self._data_event.wait()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + linger_s
        records: list[Record] = []
        spans = size = 0
        while True:
            pos = self._next_readable()
            if pos is not None:
                end = self._sizes[pos.segment]
                data = await asyncio.to_thread(self._pread, pos.segment, pos.offset, end - pos.offset)
                off = 0
                while (decoded := _decode_at(data, off)) is not None:
                    rec, nxt = decoded
                    if records and (spans + rec.spans > max_spans or size + len(rec.payload) > max_bytes):
                        return Batch(records, self._read)
                    records.append(rec)
                    spans += rec.spans
                    size += len(rec.payload)
                    off = nxt
                    self._read = Position(pos.segment, pos.offset + off)
                if off < len(data):
                    raise OSError(f"queue segment {pos.segment} is corrupt at offset {pos.offset + off}")
                continue
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closed:
                return Batch(records, self._read)
            self._data_event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._data_event.wait(), remaining)

    def _pread(self, seq: int, offset: int, length: int) -> bytes:
        with open(self.path / _seg_name(seq), "rb") as f:
            f.seek(offset)
            return f.read(length)

    def rewind(self) -> None:
        """Read again from the last ack (after a batch could not be delivered)."""
        self._read = self._acked

    async def ack(self, end: Position) -> None:
        """Everything before ``end`` is delivered: persist the cursor, delete finished segments."""
        self._acked = end
        await asyncio.to_thread(self._write_cursor)
        self._delete_delivered()

    def _write_cursor(self) -> None:
        tmp = self.path / f"{_CURSOR}.tmp"
        with open(tmp, "w") as f:
            json.dump({"segment": self._acked.segment, "offset": self._acked.offset}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path / _CURSOR)
        _fsync_dir(self.path)

    def _delete_delivered(self) -> None:
        for seq in sorted(self._sizes):
            if seq == self._active:
                break
            done = seq < self._acked.segment or (
                seq == self._acked.segment and self._acked.offset >= self._sizes[seq]
            )
            if not done:
                break
            with contextlib.suppress(FileNotFoundError):
                (self.path / _seg_name(seq)).unlink()
            del self._sizes[seq]
