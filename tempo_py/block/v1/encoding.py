"""vParquet-py1 as a block encoding: what :mod:`tempo_py.block.encoding` registers for it.

One Parquet file per block (spans sorted by trace ID and start time, zstd, fixed-size row groups
with min/max statistics on the columns search prunes on), bloom shards over its trace IDs, and
meta.json. Frozen once shipped: a change of layout is a new encoding with a new version name.
"""

from __future__ import annotations

from tempo_py.block.cache import BlockCaches
from tempo_py.block.meta import BlockMeta
from tempo_py.block.settings import BlockConfig
from tempo_py.block.v1.reader import BlockReader
from tempo_py.block.v1.writer import VERSION, BlockWriter
from tempo_py.storage.base import ObjectStore


class V1Encoding:
    """The vParquet-py1 encoding (an :class:`~tempo_py.block.interface.Encoding`)."""

    version: str = VERSION

    def open(self, store: ObjectStore, meta: BlockMeta, caches: BlockCaches) -> BlockReader:
        """A reader of one block (no I/O yet)."""
        return BlockReader(store, meta, caches)

    def create(
        self, tenant: str, cfg: BlockConfig, *, block_id: str | None = None, level: int = 0
    ) -> BlockWriter:
        """A writer of one new block, stamped with this encoding's version."""
        return BlockWriter(tenant, cfg, block_id=block_id, level=level, version=self.version)
