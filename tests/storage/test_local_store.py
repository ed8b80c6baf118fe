"""LocalStore against the conformance suite, plus filesystem-specific behaviour."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tempo_py.storage.base import InvalidKey, ObjectStore, StorageError
from tempo_py.storage.local import TEMP_PREFIX, LocalStore
from tempo_py.testing.store_tests import StoreTests


class TestLocalStore(StoreTests):
    @pytest.fixture
    async def store(self, tmp_path: Path) -> AsyncIterator[ObjectStore]:
        store = LocalStore(tmp_path / "root")
        yield store
        await store.close()


async def test_files_live_under_root(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    await store.put("t/b/meta.json", b"{}")
    assert (tmp_path / "t" / "b" / "meta.json").read_bytes() == b"{}"
    assert not (tmp_path.parent / "t").exists()


async def test_temp_files_are_invisible_and_reserved(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    await store.put("t/b/data", b"x")
    # A temp file left by a crash mid-write must never show up as an object.
    (tmp_path / "t" / "b" / f"{TEMP_PREFIX}crashed").write_bytes(b"partial")
    assert await store.list("") == ["t/b/data"]
    with pytest.raises(InvalidKey):
        await store.put(f"t/{TEMP_PREFIX}x", b"y")


async def test_no_temp_files_left_after_writes(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    await store.put("a/k", b"1")
    await store.put("a/k", b"2")
    assert await store.put_if_absent("a/k", b"3") is False
    assert await store.put_if_absent("a/j", b"4") is True
    assert sorted(os.listdir(tmp_path / "a")) == ["j", "k"]
    assert (tmp_path / "a" / "k").read_bytes() == b"2"


async def test_delete_prunes_empty_directories(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    await store.put("t/b1/data", b"x")
    await store.put("t/b2/data", b"y")
    await store.delete("t/b1/data")
    assert not (tmp_path / "t" / "b1").exists()
    assert (tmp_path / "t" / "b2").is_dir()
    await store.delete("t/b2/data")
    assert not (tmp_path / "t").exists()
    assert tmp_path.is_dir()  # the root itself stays


async def test_object_and_directory_clash_is_a_clear_error(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    await store.put("a/b", b"x")
    with pytest.raises(StorageError):
        await store.put("a", b"y")
    with pytest.raises(StorageError):
        await store.put_if_absent("a", b"y")
    assert await store.list("") == ["a/b"]


async def test_readers_never_see_a_partial_object(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    versions = [bytes([v]) * (512 * 1024) for v in b"ab"]
    await store.put("k", versions[0])
    for i in range(20):
        results = await asyncio.gather(store.put("k", versions[(i + 1) % 2]), store.get("k"), store.get("k"))
        assert all(r in versions for r in results[1:])


async def test_write_survives_a_concurrent_prune(tmp_path: Path) -> None:
    class PrunedOnce(LocalStore):
        pruned = False

        @staticmethod
        def _write_temp(directory: Path, data: bytes) -> Path:
            # Simulate delete() pruning the freshly made, still empty directory under the writer.
            if not PrunedOnce.pruned:
                PrunedOnce.pruned = True
                directory.rmdir()
            return LocalStore._write_temp(directory, data)

    store = PrunedOnce(tmp_path)
    await store.put("t/b/data", b"x")
    assert PrunedOnce.pruned
    assert await store.get("t/b/data") == b"x"
