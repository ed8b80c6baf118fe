"""How new blocks are encoded: the settings every block encoding's writer takes.

These are the encoding's own settings (``storage.trace.block.*`` mapped by the app wiring), not
the config file's schema: the block layer knows nothing of config files.
"""

from __future__ import annotations

from dataclasses import dataclass

from tempo_py.block.meta import CURRENT_VERSION

# The encoding new blocks are written in unless ``storage.trace.block.version`` names another.
DEFAULT_VERSION = CURRENT_VERSION


@dataclass(frozen=True)
class BlockConfig:
    """Block encoding settings (``storage.trace.block.*``).

    No defaults here: :func:`tempo_py.app.wiring.block_settings` maps them from the config, whose
    schema holds the defaults.
    """

    bloom_fp: float
    bloom_shard_size_bytes: int
    row_group_spans: int
    compacted_row_group_spans: int  # blocks of level >= 1 (see docs/configuration.md)
    version: str  # the encoding new blocks are written in (block.encoding registry)
