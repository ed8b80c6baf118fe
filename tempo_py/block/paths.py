"""Object keys of the block layout (see ARCHITECTURE.md)."""

from __future__ import annotations

DATA = "data.parquet"
META = "meta.json"
COMPACTED_META = "meta.compacted.json"
TENANT_INDEX = "index.json.gz"


def block_prefix(tenant: str, block_id: str) -> str:
    """Folder of one block."""
    return f"{tenant}/{block_id}/"


def data_key(tenant: str, block_id: str) -> str:
    """The block's Parquet file."""
    return f"{tenant}/{block_id}/{DATA}"


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
