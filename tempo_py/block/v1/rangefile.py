"""A read-only file made of byte ranges fetched from an object store.

pyarrow reads Parquet through a file object; this one serves only the regions we fetched (the
footer and the row groups a lookup needs), so a lookup costs exactly the GETs we chose to make.
A read outside those regions is a bug in the caller and raises instead of silently fetching.
"""

from __future__ import annotations

import io


class RangeFile(io.RawIOBase):
    """File-like view over ``regions`` (offset -> bytes) of an object of ``size`` bytes."""

    def __init__(self, size: int, regions: dict[int, bytes]) -> None:
        super().__init__()
        self._size = size
        self._regions = sorted(regions.items())
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def size(self) -> int:
        """Total object size."""
        return self._size

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            self._pos = offset
        elif whence == io.SEEK_CUR:
            self._pos += offset
        else:
            self._pos = self._size + offset
        return self._pos

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self._size - self._pos
        n = min(n, self._size - self._pos)
        if n <= 0:
            return b""
        for start, data in self._regions:
            if start <= self._pos and self._pos + n <= start + len(data):
                rel = self._pos - start
                self._pos += n
                return data[rel : rel + n]
        if self._pos + n == self._size and self._regions:
            # pyarrow's footer parse reads the file's last 64 KiB speculatively and uses only the
            # footer inside it; zero-fill the part before the fetched tail region.
            start, data = self._regions[-1]
            if start + len(data) == self._size and self._pos < start:
                out = bytes(start - self._pos) + data
                self._pos += n
                return out
        raise OSError(f"RangeFile: read of {n} bytes at {self._pos} outside fetched ranges")

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)
