"""Readers by block version: meta.json names the encoding, this picks the code that reads it."""

from __future__ import annotations

from tempo_py.block.meta import CURRENT_VERSION, BlockMeta
from tempo_py.block.v1.reader import BlockCaches, BlockReader
from tempo_py.storage.base import ObjectStore

SUPPORTED_VERSIONS = (CURRENT_VERSION,)


class UnsupportedBlockVersion(ValueError):
    """A block written in an encoding this build cannot read."""


def open_block(store: ObjectStore, meta: BlockMeta, caches: BlockCaches) -> BlockReader:
    """A reader for the block's encoding version."""
    if meta.version == CURRENT_VERSION:
        return BlockReader(store, meta, caches)
    raise UnsupportedBlockVersion(f"block {meta.block_id}: unsupported block version {meta.version!r}")
