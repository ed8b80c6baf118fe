"""Which blocks merge: group live blocks by time window (of their end time) and level, pack jobs.

Rules (no IO here, so the CLI can show a plan without doing it):
- A block belongs to the window holding its end time (``compaction_window`` wide).
- In an *active* window (the current one and the one before, where ingesters still add blocks)
  only blocks of one compaction level merge, so fresh level-0 blocks do not keep rewriting a big
  level-2 block. Once a window closes, every level merges, down to as few blocks as limits allow.
- A job has ``min_input_blocks``..``max_input_blocks`` inputs whose summed data bytes and trace
  counts stay within ``max_block_bytes`` and ``max_compaction_objects``, so the output does too.
  Blocks already at a limit ("full") are left alone.
- Candidates are ordered by how full they are (the larger of bytes and traces as a fraction of
  its limit). Packing from the emptiest guarantees a window at rest holds fewer than
  ``min_input_blocks`` blocks under 1/min of both limits; :func:`rest_bound` turns that into the
  block-count bound a window reaches once nothing more is planned.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tempo_py.block.meta import BlockMeta
from tempo_py.compactor.settings import CompactionSettings

_OUTPUT_NAMESPACE = uuid.UUID("6f1f4a53-3c5e-4b8e-9a55-1d1b8a0c7e21")
ALL_LEVELS = -1


@dataclass(frozen=True)
class Job:
    """One planned merge of 2..N blocks of one tenant and window into one output block."""

    tenant: str
    window_start_ns: int
    level: int  # the level merged in an active window, or ALL_LEVELS
    inputs: tuple[BlockMeta, ...]
    reason: str

    @property
    def input_ids(self) -> list[str]:
        """Input block IDs, sorted (the job's identity)."""
        return sorted(m.block_id for m in self.inputs)

    @property
    def job_id(self) -> str:
        """Short stable hash of the tenant and input IDs."""
        text = self.tenant + ":" + ",".join(self.input_ids)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def output_block_id(self) -> str:
        """Deterministic output ID: a redone job overwrites its own half-written output."""
        return str(uuid.uuid5(_OUTPUT_NAMESPACE, self.tenant + ":" + ",".join(self.input_ids)))

    @property
    def output_level(self) -> int:
        """Highest input level + 1."""
        return max(m.compaction_level for m in self.inputs) + 1

    @property
    def input_bytes(self) -> int:
        """Summed data.parquet bytes of the inputs."""
        return sum(m.size for m in self.inputs)

    @property
    def input_objects(self) -> int:
        """Summed trace counts of the inputs (an upper bound of the output's)."""
        return sum(m.total_objects for m in self.inputs)


@dataclass
class WindowPlan:
    """The plan of one window: its blocks, the jobs, and blocks left out with the reason."""

    tenant: str
    window_start_ns: int
    window_end_ns: int
    active: bool
    blocks: list[BlockMeta] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    skipped: list[tuple[BlockMeta, str]] = field(default_factory=list)


def window_start_ns(meta: BlockMeta, window_s: float) -> int:
    """Start of the window holding the block's end time."""
    w = int(window_s * 1e9)
    return (meta.end_time_ns // w) * w


def fmt_ns(ns: int) -> str:
    """Unix nanoseconds as a short UTC timestamp."""
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fullness(m: BlockMeta, cfg: CompactionSettings) -> float:
    return max(m.size / cfg.max_block_bytes, m.total_objects / cfg.max_compaction_objects)


def _pack(group: list[BlockMeta], cfg: CompactionSettings) -> list[list[BlockMeta]]:
    """First-fit packing from the emptiest block; each seed is tried so no fitting set is missed."""
    remaining = sorted(
        group, key=lambda m: (_fullness(m, cfg), m.compaction_level, m.end_time_ns, m.block_id)
    )
    chunks: list[list[BlockMeta]] = []
    seed = 0
    while seed < len(remaining) and len(remaining) >= cfg.min_input_blocks:
        chunk = [remaining[seed]]
        size, objects = chunk[0].size, chunk[0].total_objects
        for m in remaining[seed + 1 :]:
            if len(chunk) >= cfg.max_input_blocks:
                break
            if (
                size + m.size <= cfg.max_block_bytes
                and objects + m.total_objects <= cfg.max_compaction_objects
            ):
                chunk.append(m)
                size += m.size
                objects += m.total_objects
        if len(chunk) >= cfg.min_input_blocks:
            chunks.append(chunk)
            taken = {m.block_id for m in chunk}
            remaining = [m for m in remaining if m.block_id not in taken]
            seed = 0
        else:
            seed += 1
    return chunks


def _reason(chunk: list[BlockMeta], start_ns: int, end_ns: int, level: int, cfg: CompactionSettings) -> str:
    size = sum(m.size for m in chunk)
    objects = sum(m.total_objects for m in chunk)
    which = f"level-{level} blocks of active window" if level != ALL_LEVELS else "blocks of closed window"
    return (
        f"{len(chunk)} {which} {fmt_ns(start_ns)}..{fmt_ns(end_ns)}: {size} bytes <= max_block_bytes "
        f"{cfg.max_block_bytes}, {objects} traces <= max_compaction_objects {cfg.max_compaction_objects}, "
        f"{len(chunk)} inputs in [{cfg.min_input_blocks}, {cfg.max_input_blocks}]"
    )


def plan_tenant(
    tenant: str,
    live: Iterable[BlockMeta],
    cfg: CompactionSettings,
    now_ns: int,
    *,
    retention_s: float,
    exclude: Mapping[str, str] | None = None,
) -> list[WindowPlan]:
    """Every window of the tenant's live blocks with its jobs, oldest window first.

    ``exclude`` maps block IDs to a reason they must not be merged now (e.g. an output already
    holds them and they await marking). Blocks past retention are left to retention.
    """
    exclude = exclude or {}
    window_ns = int(cfg.compaction_window * 1e9)
    by_window: dict[int, list[BlockMeta]] = {}
    for m in live:
        by_window.setdefault(window_start_ns(m, cfg.compaction_window), []).append(m)
    cutoff = now_ns - int(retention_s * 1e9)
    plans: list[WindowPlan] = []
    for start in sorted(by_window):
        end = start + window_ns
        wp = WindowPlan(
            tenant,
            start,
            end,
            active=now_ns < end + window_ns,
            blocks=sorted(by_window[start], key=lambda m: (m.end_time_ns, m.block_id)),
        )
        candidates: list[BlockMeta] = []
        for m in wp.blocks:
            if m.block_id in exclude:
                wp.skipped.append((m, exclude[m.block_id]))
            elif m.end_time_ns < cutoff:
                wp.skipped.append((m, "past block_retention: retention deletes it"))
            elif _fullness(m, cfg) >= 1.0:
                wp.skipped.append((m, "full: at max_block_bytes or max_compaction_objects"))
            else:
                candidates.append(m)
        groups: dict[int, list[BlockMeta]] = {}
        for m in candidates:
            groups.setdefault(m.compaction_level if wp.active else ALL_LEVELS, []).append(m)
        for level in sorted(groups):
            for chunk in _pack(groups[level], cfg):
                wp.jobs.append(
                    Job(tenant, start, level, tuple(chunk), _reason(chunk, start, end, level, cfg))
                )
        plans.append(wp)
    return plans


def rest_bound(total_bytes: int, total_objects: int, cfg: CompactionSettings) -> int:
    """Most blocks a closed window can hold once the planner finds no job in it.

    At rest fewer than ``min_input_blocks`` blocks are under 1/min of both limits (any min of them
    would fit one job); every other block is over 1/min of the bytes or the traces limit.
    """
    k = cfg.min_input_blocks
    return (
        (k - 1) + (k * total_bytes) // cfg.max_block_bytes + (k * total_objects) // cfg.max_compaction_objects
    )
