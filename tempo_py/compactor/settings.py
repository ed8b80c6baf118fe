"""The compactor's settings: what the planner, the loop and retention need, in their own types.

No defaults here and no config import: :func:`tempo_py.app.wiring.compactor_settings` maps
``compactor.compaction.*`` and ``overrides.*`` into these (the config schema holds the defaults).
Durations are float seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["CompactionSettings", "CompactorSettings"]


@dataclass(frozen=True)
class CompactionSettings:
    """Which blocks merge, how big outputs get, how long blocks live (``compactor.compaction.*``)."""

    compaction_window: float
    compaction_cycle: float
    max_compaction_objects: int
    max_block_bytes: int
    block_retention: float
    compacted_block_retention: float
    min_input_blocks: int
    max_input_blocks: int
    retention_concurrency: int


@dataclass(frozen=True)
class CompactorSettings:
    """Everything a :class:`~tempo_py.compactor.compactor.Compactor` is configured with.

    ``block_retention_s`` is the retention of a tenant without its own override (the overrides'
    defaults if set, else ``compaction.block_retention``); ``tenant_block_retention_s`` holds the
    tenants that have one.
    """

    compaction: CompactionSettings
    block_retention_s: float
    tenant_block_retention_s: Mapping[str, float]

    def block_retention_for(self, tenant: str) -> float:
        """Seconds to keep ``tenant``'s blocks."""
        return self.tenant_block_retention_s.get(tenant, self.block_retention_s)
