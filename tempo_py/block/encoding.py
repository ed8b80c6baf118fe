"""Block encodings by version: meta.json names the encoding, this picks the code for it.

Every reader and writer of blocks goes through here (ARCHITECTURE.md, principle 11): lookups,
search scans and compaction open blocks with :func:`open_block` (by the meta's ``version``); new
blocks are created with :func:`create_writer` / :func:`write_block` in the encoding that
``BlockConfig.version`` (``storage.trace.block.version``) names. A new encoding implements
:class:`~tempo_py.block.interface.Encoding` and is :func:`register`-ed; nothing outside
``tempo_py/block/`` changes.
"""

from __future__ import annotations

import asyncio

import pyarrow as pa

from tempo_py.block import paths
from tempo_py.block.cache import BlockCaches
from tempo_py.block.interface import (
    BlockBuilder,
    BlockHandle,
    EncodedBlock,
    Encoding,
    UnsupportedBlockVersion,
)
from tempo_py.block.meta import BlockMeta
from tempo_py.block.settings import DEFAULT_VERSION, BlockConfig
from tempo_py.block.tempo_vparquet.encoding import ENCODINGS as TEMPO_ENCODINGS
from tempo_py.block.v1.encoding import V1Encoding
from tempo_py.faults import crash_point
from tempo_py.model.packing import unify_dictionaries, unpack
from tempo_py.model.table_ops import block_order
from tempo_py.storage.base import ObjectStore

__all__ = [
    "DEFAULT_VERSION",
    "UnsupportedBlockVersion",
    "create_writer",
    "encode_block",
    "encoding_for",
    "open_block",
    "register",
    "unregister",
    "upload_block",
    "versions",
    "write_block",
]

_ENCODINGS: dict[str, Encoding] = {}

_UNPACK_ROWS = 16_384  # ~20 MiB unpacked: bounds the extra memory of a flush


def register(encoding: Encoding) -> None:
    """Make blocks of ``encoding.version`` readable and writable (a later one replaces an earlier)."""
    _ENCODINGS[encoding.version] = encoding


def unregister(version: str) -> None:
    """Forget an encoding (tests registering their own)."""
    _ENCODINGS.pop(version, None)


def versions() -> list[str]:
    """Every registered encoding version."""
    return sorted(_ENCODINGS)


def encoding_for(version: str) -> Encoding:
    """The encoding named ``version``. Raises UnsupportedBlockVersion when none is registered."""
    enc = _ENCODINGS.get(version)
    if enc is None:
        raise UnsupportedBlockVersion(
            f"unsupported block version {version!r} (supported: {', '.join(versions())})"
        )
    return enc


def open_block(store: ObjectStore, meta: BlockMeta, caches: BlockCaches) -> BlockHandle:
    """A handle on one block, in the encoding its meta names (no I/O yet)."""
    enc = _ENCODINGS.get(meta.version)
    if enc is None:
        raise UnsupportedBlockVersion(f"block {meta.block_id}: unsupported block version {meta.version!r}")
    return enc.open(store, meta, caches)


def create_writer(
    tenant: str, cfg: BlockConfig, *, block_id: str | None = None, level: int = 0
) -> BlockBuilder:
    """A writer of one new block in the encoding ``cfg.version`` names."""
    return encoding_for(cfg.version).create(tenant, cfg, block_id=block_id, level=level)


def encode_block(
    tenant: str, table: pa.Table, cfg: BlockConfig, *, block_id: str | None = None, level: int = 0
) -> EncodedBlock:
    """De-duplicate, sort and encode an unordered (possibly packed) span table as one block.

    CPU-bound: run in a thread. The order is computed on key columns, then rows are gathered and
    (for packed tables, tempo_py.model.packing) unpacked one slice at a time, so flushing an
    ingester's memory needs one slice more, not a sorted or unpacked copy of all of it.
    """
    # one contiguous copy: take on a many-chunk table concatenates the chunks on every call
    table = unify_dictionaries(table).combine_chunks()
    order = block_order(table)
    w = create_writer(tenant, cfg, block_id=block_id, level=level)
    for off in range(0, len(order), _UNPACK_ROWS):  # gather one slice at a time: no sorted copy
        w.add(unpack(table.take(order.slice(off, _UNPACK_ROWS))))
    return w.finish()


async def upload_block(store: ObjectStore, block: EncodedBlock) -> BlockMeta:
    """Write the block's objects, then meta.json last: the block becomes visible complete or not at all."""
    m = block.meta
    await asyncio.gather(
        *(
            store.put(paths.object_key(m.tenant_id, m.block_id, name), data)
            for name, data in block.objects.items()
        )
    )
    crash_point("block_before_meta")
    await store.put(paths.meta_key(m.tenant_id, m.block_id), m.to_json())
    return m


async def write_block(
    store: ObjectStore,
    tenant: str,
    table: pa.Table,
    cfg: BlockConfig,
    *,
    block_id: str | None = None,
    level: int = 0,
) -> BlockMeta:
    """Encode (in a worker thread) and upload one block."""
    block = await asyncio.to_thread(encode_block, tenant, table, cfg, block_id=block_id, level=level)
    return await upload_block(store, block)


register(V1Encoding())
for _tempo in TEMPO_ENCODINGS:  # Grafana Tempo's own blocks, read only
    register(_tempo)
