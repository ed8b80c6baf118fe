"""Tempo's vParquet4 and vParquet5 as read-only block encodings (registered by version name)."""

from __future__ import annotations

from tempo_py.block.cache import BlockCaches
from tempo_py.block.interface import BlockBuilder
from tempo_py.block.meta import CURRENT_VERSION, BlockMeta
from tempo_py.block.settings import BlockConfig
from tempo_py.block.tempo_vparquet.meta import VPARQUET4, VPARQUET5
from tempo_py.block.tempo_vparquet.reader import TempoBlockReader
from tempo_py.storage.base import ObjectStore


class ReadOnlyEncoding(ValueError):
    """Asked to write blocks in an encoding tempo_py only reads."""


class TempoEncoding:
    """One of Tempo's own encodings (an :class:`~tempo_py.block.interface.Encoding`): read only."""

    def __init__(self, version: str) -> None:
        self._version = version

    @property
    def version(self) -> str:
        """The name Tempo's meta.json carries."""
        return self._version

    def open(self, store: ObjectStore, meta: BlockMeta, caches: BlockCaches) -> TempoBlockReader:
        """A reader of one Tempo block (no I/O yet)."""
        return TempoBlockReader(store, meta, caches)

    def create(
        self, tenant: str, cfg: BlockConfig, *, block_id: str | None = None, level: int = 0
    ) -> BlockBuilder:
        """Always raises: tempo_py reads Tempo's blocks but writes its own."""
        raise ReadOnlyEncoding(
            f"block version {self._version!r} is read-only in tempo_py (Grafana Tempo's format); "
            f"tempo_py writes {CURRENT_VERSION!r}: set storage.trace.block.version to it"
        )


ENCODINGS = (TempoEncoding(VPARQUET4), TempoEncoding(VPARQUET5))
