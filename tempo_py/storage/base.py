"""The raw object interface every backend implements.

Kept deliberately small (get, get_range, put, put_if_absent, delete, list) so a new backend is a
hundred lines and one conformance suite (``tempo_py.testing.store_tests``) proves it. Block-level
logic (meta, blooms, Parquet) lives in ``tempo_py.block`` and is written once on top of this.
Keys are '/'-separated relative paths such as ``single-tenant/<uuid>/meta.json``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


class StorageError(Exception):
    """A backend failed in a way retries could not fix (or that is not retryable)."""


class ObjectNotFound(StorageError, KeyError):
    """The object does not exist. The one exception every backend raises for a missing key."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def __str__(self) -> str:
        return f"object not found: {self.key}"


class InvalidKey(StorageError, ValueError):
    """A key that could escape the store's root or is otherwise malformed ('..', absolute, empty)."""


def check_key(key: str) -> str:
    """Return ``key`` if it is a safe relative object key, else raise :class:`InvalidKey`."""
    if not key or key.startswith("/") or "\\" in key or "\x00" in key:
        raise InvalidKey(f"invalid object key: {key!r}")
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise InvalidKey(f"invalid object key: {key!r}")
    return key


def check_prefix(prefix: str) -> str:
    """Return ``prefix`` if it is usable as a :meth:`ObjectStore.list` prefix, else raise InvalidKey.

    A prefix is a partial key, so empty, trailing-slash and partial-name forms are allowed; only
    characters no key may contain are rejected. A prefix with a '..' part simply matches nothing.
    """
    if prefix.startswith("/") or "\\" in prefix or "\x00" in prefix:
        raise InvalidKey(f"invalid list prefix: {prefix!r}")
    return prefix


def check_range(offset: int, length: int) -> None:
    """Raise ValueError for a negative offset or length (the contract of ``get_range``)."""
    if offset < 0 or length < 0:
        raise ValueError(f"invalid byte range: offset={offset} length={length}")


@runtime_checkable
class ObjectStore(Protocol):
    """Async raw object storage. All methods may be called concurrently."""

    async def get(self, key: str) -> bytes:
        """Return the whole object. Raises ObjectNotFound when absent."""
        ...

    async def get_range(self, key: str, offset: int, length: int) -> bytes:
        """Return ``length`` bytes starting at ``offset`` (fewer only at the object's end).

        Raises ObjectNotFound when absent, ValueError for a negative offset or length.
        """
        ...

    async def put(self, key: str, data: bytes) -> None:
        """Create or replace the object atomically: readers see the old or the new bytes, never a part."""
        ...

    async def put_if_absent(self, key: str, data: bytes) -> bool:
        """Create the object only if no object has that key. True if created, False if it existed."""
        ...

    async def delete(self, key: str) -> None:
        """Delete the object. Deleting a missing object is not an error (idempotent)."""
        ...

    async def list(self, prefix: str) -> list[str]:
        """Every key that starts with ``prefix`` (full keys, sorted). ``""`` lists everything."""
        ...

    async def close(self) -> None:
        """Release connections and threads."""
        ...
