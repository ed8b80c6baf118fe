"""Object keys of the bucket layout (see ARCHITECTURE.md): built and parsed here only.

```
<tenant>/<block-uuid>/<name>                     a block's objects (data, blooms, meta)
<tenant>/index.json.gz                           the tenant index
<tenant>/compactor-leases/<window>/<gen>.json    compaction leases, one folder per window
```
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

DATA = "data.parquet"
META = "meta.json"
COMPACTED_META = "meta.compacted.json"
TENANT_INDEX = "index.json.gz"
LEASE_DIR = "compactor-leases"


def block_prefix(tenant: str, block_id: str) -> str:
    """Folder of one block."""
    return f"{tenant}/{block_id}/"


def object_key(tenant: str, block_id: str, name: str) -> str:
    """One object of a block's folder, by its name there."""
    return f"{tenant}/{block_id}/{name}"


def data_key(tenant: str, block_id: str) -> str:
    """The block's Parquet file."""
    return f"{tenant}/{block_id}/{DATA}"


def bloom_name(shard: int) -> str:
    """Name of one bloom shard in its block's folder."""
    return f"bloom-{shard}"


def bloom_key(tenant: str, block_id: str, shard: int) -> str:
    """One bloom shard."""
    return f"{tenant}/{block_id}/bloom-{shard}"


def meta_key(tenant: str, block_id: str) -> str:
    """meta.json (written last)."""
    return f"{tenant}/{block_id}/{META}"


def compacted_meta_key(tenant: str, block_id: str) -> str:
    """meta.compacted.json (replaces meta.json after compaction)."""
    return f"{tenant}/{block_id}/{COMPACTED_META}"


def tenant_index_key(tenant: str) -> str:
    """The tenant's block list."""
    return f"{tenant}/{TENANT_INDEX}"


def lease_prefix(tenant: str, window: str) -> str:
    """Folder of one compaction window's lease generations."""
    return f"{tenant}/{LEASE_DIR}/{window}/"


@dataclass(frozen=True)
class BlockKey:
    """A key inside a block folder: ``<tenant>/<block_id>/<name>``."""

    tenant: str
    block_id: str
    name: str


@dataclass(frozen=True)
class LeaseKey:
    """A lease object's key: ``<tenant>/compactor-leases/<window>/<name>``."""

    tenant: str
    window: str
    name: str


def parse_key(key: str) -> BlockKey | None:
    """The parts of a three-level key ``<tenant>/<folder>/<name>``; None for any other key.

    The folder is not checked to be a block ID (see :func:`is_block_id`): listings that only look
    for meta files need not pay for it.
    """
    parts = key.split("/")
    if len(parts) != 3:
        return None
    return BlockKey(parts[0], parts[1], parts[2])


def parse_lease_key(key: str) -> LeaseKey | None:
    """The parts of a lease object's key; None for any other key."""
    parts = key.split("/")
    if len(parts) != 4 or parts[1] != LEASE_DIR:
        return None
    return LeaseKey(parts[0], parts[2], parts[3])


def tenant_of(key: str) -> str | None:
    """The tenant a key belongs to (its first segment); None for a key outside any tenant folder."""
    tenant, sep, _ = key.partition("/")
    return tenant if sep else None


def is_block_id(text: str) -> bool:
    """Whether ``text`` is a block ID as written (a UUID in canonical form)."""
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False
