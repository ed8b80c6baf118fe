"""A read-only file made of byte ranges fetched from an object store.

pyarrow reads Parquet through a file object; this one serves only the regions we fetched (the
footer, the row groups or column chunks a read needs), so a lookup or search costs exactly the
GETs we chose to make. A read outside those regions is a bug in the caller and raises instead of
silently fetching.
"""

from __future__ import annotations

import asyncio
import bisect
import io

import pyarrow.parquet as pq

from tempo_py.storage.base import ObjectStore


def _disjoint(regions: dict[int, bytes]) -> list[tuple[int, memoryview]]:
    """Regions trimmed so none overlaps another (fetches may overlap earlier ones), without copying:
    a region overlapping the one before keeps only its tail. Adjoining regions stay separate
    (reads spanning them are gathered), so a search that fetched thousands of chunks does not
    concatenate them again on every decode."""
    out: list[tuple[int, memoryview]] = []
    end = -1
    for start in sorted(regions):
        data = memoryview(regions[start])
        if start < end:
            if start + len(data) <= end:
                continue  # inside what is already there
            data, start = data[end - start :], end
        out.append((start, data))
        end = start + len(data)
    return out


class RegionFile(io.RawIOBase):
    """A read-only file over fetched regions (offset -> bytes), found by bisection."""

    def __init__(self, size: int, regions: dict[int, bytes]) -> None:
        super().__init__()
        self._size = size
        self._starts: list[int] = []
        self._data: list[memoryview] = []
        for start, data in _disjoint(regions):
            self._starts.append(start)
            self._data.append(data)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos}.get(whence, self._size)
        self._pos = base + offset
        return self._pos

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self._size - self._pos
        n = min(n, self._size - self._pos)
        if n <= 0:
            return b""
        pieces = self._gather(self._pos, n)
        if pieces is not None:
            self._pos += n
            return pieces
        if self._pos + n == self._size and self._starts:
            # pyarrow reads the last 64 KiB speculatively for the footer; zero-fill before it
            start, data = self._starts[-1], self._data[-1]
            if start + len(data) == self._size and self._pos < start:
                out = bytes(start - self._pos) + bytes(data)
                self._pos += n
                return out
        raise OSError(f"read of {n} bytes at {self._pos} outside fetched ranges")

    def _gather(self, pos: int, n: int) -> bytes | None:
        """Bytes [pos, pos + n) from one or several adjoining regions, or None if not all fetched."""
        out: list[bytes] = []
        while n > 0:
            i = bisect.bisect_right(self._starts, pos) - 1
            if i < 0:
                return None
            start, data = self._starts[i], self._data[i]
            rel = pos - start
            if rel >= len(data):
                return None
            take = min(n, len(data) - rel)
            out.append(bytes(data[rel : rel + take]))
            pos, n = pos + take, n - take
        return out[0] if len(out) == 1 else b"".join(out)

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)


class FetchedRegions:
    """The byte ranges of one object fetched so far for a scan, and the Parquet file over them.

    Every encoding's search scan reads the same way: ask for ranges, GET those not yet covered
    (each holding the caller's semaphore), then decode from what is held plus the footer.
    """

    def __init__(self, store: ObjectStore, key: str, size: int) -> None:
        self.store = store
        self.key = key
        self.size = size
        self.regions: dict[int, bytes] = {}
        self.fetched_bytes = 0

    def missing(self, ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Ranges not already covered by a fetched region."""
        starts = sorted(self.regions)
        out = []
        for lo, hi in ranges:
            i = bisect.bisect_right(starts, lo) - 1
            if i >= 0 and starts[i] + len(self.regions[starts[i]]) >= hi:
                continue
            out.append((lo, hi))
        return out

    async def fetch(self, ranges: list[tuple[int, int]], sem: asyncio.Semaphore) -> None:
        """GET the ranges not yet fetched."""

        async def one(lo: int, hi: int) -> None:
            async with sem:
                data = await self.store.get_range(self.key, lo, hi - lo)
            self.regions[lo] = data
            self.fetched_bytes += len(data)

        await asyncio.gather(*(one(lo, hi) for lo, hi in self.missing(ranges)))

    def parquet(self, footer_raw: bytes, metadata: pq.FileMetaData) -> pq.ParquetFile:
        """The object as a Parquet file over the fetched regions and its footer.

        No pre-buffering: it coalesces neighbouring chunks into reads beyond what was fetched."""
        regions = {**self.regions, self.size - len(footer_raw): footer_raw}
        return pq.ParquetFile(RegionFile(self.size, regions), metadata=metadata, pre_buffer=False)
