"""An in-process object store for tests and for embedded runs that need no durability."""

from __future__ import annotations

import threading

from tempo_py.storage.base import ObjectNotFound, check_key, check_prefix, check_range


class MemoryStore:
    """Objects in a dict. Every operation is atomic; contents vanish with the process."""

    def __init__(self) -> None:
        self._objects: dict[str, bytes] = {}
        # A threading lock rather than asyncio.Lock: the store may outlive one event loop (tests run
        # a loop per test) and asyncio locks bind to the loop that first waits on them.
        self._lock = threading.Lock()

    async def get(self, key: str) -> bytes:
        """Return the whole object. Raises ObjectNotFound when absent."""
        check_key(key)
        try:
            return self._objects[key]
        except KeyError:
            raise ObjectNotFound(key) from None

    async def get_range(self, key: str, offset: int, length: int) -> bytes:
        """Return ``length`` bytes from ``offset`` (fewer at the end). ObjectNotFound when absent."""
        check_range(offset, length)
        data = await self.get(key)
        return data[offset : offset + length]

    async def put(self, key: str, data: bytes) -> None:
        """Create or replace the object."""
        check_key(key)
        # bytes() freezes a bytearray/memoryview so later caller mutations cannot reach the store.
        frozen = bytes(data)
        with self._lock:
            self._objects[key] = frozen

    async def put_if_absent(self, key: str, data: bytes) -> bool:
        """Create the object only if absent. True if created, False if it already existed."""
        check_key(key)
        frozen = bytes(data)
        with self._lock:
            if key in self._objects:
                return False
            self._objects[key] = frozen
            return True

    async def delete(self, key: str) -> None:
        """Delete the object; a missing object is not an error."""
        check_key(key)
        with self._lock:
            self._objects.pop(key, None)

    async def list(self, prefix: str) -> list[str]:
        """Every key starting with ``prefix``, sorted."""
        check_prefix(prefix)
        with self._lock:
            keys = [k for k in self._objects if k.startswith(prefix)]
        return sorted(keys)

    async def close(self) -> None:
        """Nothing to release; present for the protocol."""
