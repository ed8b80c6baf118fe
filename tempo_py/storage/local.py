"""Object store on a local filesystem: one file per key under a root directory.

Writes go to a temp file in the destination directory, are fsynced, then renamed (``put``) or
hard-linked (``put_if_absent``) into place, and the directory is fsynced: a reader sees the old
object or the whole new one, and an acknowledged write survives a power cut. Temp files start with
:data:`TEMP_PREFIX`; ``list`` never returns them and keys may not use that prefix. All file IO runs
in worker threads so the event loop only waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from pathlib import Path

from tempo_py.storage.base import (
    InvalidKey,
    ObjectNotFound,
    StorageError,
    check_key,
    check_prefix,
    check_range,
)

TEMP_PREFIX = ".tmp-"
# A concurrent delete may prune a directory a write has just created; retrying the write recreates it.
_DIR_RACE_RETRIES = 5
_FILE_MODE = 0o644


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _could_match(directory_key: str, prefix: str) -> bool:
    """Whether keys under ``directory_key`` (ending in '/') can start with ``prefix``."""
    return directory_key.startswith(prefix) or prefix.startswith(directory_key)


class LocalStore:
    """An :class:`~tempo_py.storage.base.ObjectStore` keeping each object in a file under ``root``.

    Limitation of a filesystem: a key cannot be both an object and a "directory" of other keys
    (``a`` and ``a/b``); writing the second raises StorageError. Tempo's layout never does that.
    """

    def __init__(self, root: Path | str) -> None:
        self._root = Path(root).resolve()
        self._root.mkdir(parents=True, exist_ok=True)

    @property
    def root(self) -> Path:
        """The directory holding the objects."""
        return self._root

    def _path(self, key: str) -> Path:
        parts = check_key(key).split("/")
        if any(part.startswith(TEMP_PREFIX) for part in parts):
            raise InvalidKey(f"invalid object key (reserved {TEMP_PREFIX!r} prefix): {key!r}")
        return self._root.joinpath(*parts)

    # -- reads ---------------------------------------------------------------------------------

    async def get(self, key: str) -> bytes:
        """Return the whole object. Raises ObjectNotFound when absent."""
        path = self._path(key)
        return await asyncio.to_thread(self._read, key, path, 0, None)

    async def get_range(self, key: str, offset: int, length: int) -> bytes:
        """Return ``length`` bytes from ``offset`` (fewer at the end). ObjectNotFound when absent."""
        check_range(offset, length)
        path = self._path(key)
        return await asyncio.to_thread(self._read, key, path, offset, length)

    @staticmethod
    def _read(key: str, path: Path, offset: int, length: int | None) -> bytes:
        try:
            with path.open("rb") as f:
                if offset:
                    f.seek(offset)
                return f.read() if length is None else f.read(length)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            # A directory is a key prefix, not an object, as in S3.
            raise ObjectNotFound(key) from None
        except OSError as exc:
            raise StorageError(f"local read {key}: {exc}") from exc

    def _list(self, prefix: str) -> list[str]:
        dir_part = prefix.rpartition("/")[0]
        if dir_part:
            try:
                check_key(dir_part)
            except InvalidKey:
                return []  # no valid key can start with a malformed directory part
        start = self._root.joinpath(*dir_part.split("/")) if dir_part else self._root
        keys: list[str] = []
        for dirpath, dirnames, filenames in os.walk(start):
            rel = os.path.relpath(dirpath, self._root)
            base = "" if rel == "." else rel.replace(os.sep, "/") + "/"
            # Descend only into directories whose keys could match the prefix.
            dirnames[:] = [d for d in dirnames if _could_match(base + d + "/", prefix)]
            keys.extend(
                base + name
                for name in filenames
                if not name.startswith(TEMP_PREFIX) and (base + name).startswith(prefix)
            )
        keys.sort()
        return keys

    async def list(self, prefix: str) -> list[str]:
        """Every key starting with ``prefix``, sorted."""
        check_prefix(prefix)
        return await asyncio.to_thread(self._list, prefix)

    # -- writes --------------------------------------------------------------------------------

    async def put(self, key: str, data: bytes) -> None:
        """Create or replace the object atomically and durably."""
        path = self._path(key)
        await asyncio.to_thread(self._write, key, path, data, False)

    async def put_if_absent(self, key: str, data: bytes) -> bool:
        """Create the object only if absent (atomic hard link). True if created, False if it existed."""
        path = self._path(key)
        return await asyncio.to_thread(self._write, key, path, data, True)

    def _write(self, key: str, path: Path, data: bytes, exclusive: bool) -> bool:
        try:
            for _ in range(_DIR_RACE_RETRIES):
                try:
                    self._ensure_dir(path.parent)
                    tmp = self._write_temp(path.parent, data)
                except FileNotFoundError:
                    continue  # a concurrent delete pruned a directory on our path
                try:
                    created = self._publish(tmp, path, exclusive)
                finally:
                    if exclusive:
                        _unlink_quietly(tmp)  # the hard link (if any) keeps the data
                if created:
                    _fsync_dir(path.parent)
                return created
        except OSError as exc:
            raise StorageError(f"local write {key}: {exc}") from exc
        raise StorageError(f"local write {key}: directory kept disappearing under concurrent deletes")

    @staticmethod
    def _publish(tmp: Path, path: Path, exclusive: bool) -> bool:
        if not exclusive:
            try:
                os.replace(tmp, path)
            except BaseException:
                _unlink_quietly(tmp)
                raise
            return True
        try:
            # link() fails if the name exists, so exactly one concurrent writer wins.
            os.link(tmp, path)
        except FileExistsError:
            if path.is_dir():
                raise IsADirectoryError(f"{path} is a directory of other keys") from None
            return False
        return True

    def _ensure_dir(self, directory: Path) -> None:
        if directory.is_dir():
            return
        current = self._root
        for part in directory.relative_to(self._root).parts:
            child = current / part
            try:
                child.mkdir()
            except FileExistsError:
                pass  # made by a concurrent writer, or a file: the write then fails clearly
            else:
                # The new directory entry must itself be durable for the object to be.
                _fsync_dir(current)
            current = child

    @staticmethod
    def _write_temp(directory: Path, data: bytes) -> Path:
        fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=directory)
        tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as f:
                os.fchmod(f.fileno(), _FILE_MODE)  # mkstemp makes 0600; objects are plain files
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except BaseException:
            _unlink_quietly(tmp)
            raise
        return tmp

    async def delete(self, key: str) -> None:
        """Delete the object (a missing one is fine) and prune directories left empty."""
        path = self._path(key)
        await asyncio.to_thread(self._delete, key, path)

    def _delete(self, key: str, path: Path) -> None:
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return
        except OSError as exc:
            raise StorageError(f"local delete {key}: {exc}") from exc
        # Empty block directories would otherwise pile up and slow every list() walk. rmdir fails
        # on a non-empty directory, so a concurrent writer's directory is never removed under it
        # once its temp file exists (and before that, the writer retries).
        parent = path.parent
        while parent != self._root:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    async def close(self) -> None:
        """Nothing to release; present for the protocol."""
