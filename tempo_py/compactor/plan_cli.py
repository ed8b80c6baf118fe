"""``tempo-py compaction plan``: show which blocks the compactor would merge or delete, and why.

Read-only: one LIST of the tenant and a GET per meta; nothing is written, no lease is taken.
"""

from __future__ import annotations

import json
import time
from typing import IO, Any

from tempo_py.block.meta import BlockMeta
from tempo_py.compactor.compactor import plan_exclusions
from tempo_py.compactor.listing import MetaCache, TenantState, scan_tenant
from tempo_py.compactor.planner import ALL_LEVELS, WindowPlan, fmt_ns, plan_tenant
from tempo_py.compactor.retention import RetentionPlan, retention_plan
from tempo_py.compactor.settings import CompactorSettings
from tempo_py.storage.base import ObjectStore


def _block(m: BlockMeta) -> dict[str, Any]:
    return {
        "blockID": m.block_id,
        "level": m.compaction_level,
        "size": m.size,
        "traces": m.total_objects,
        "spans": m.span_count,
        "start": fmt_ns(m.start_time_ns),
        "end": fmt_ns(m.end_time_ns),
    }


def plan_document(
    state: TenantState, windows: list[WindowPlan], rp: RetentionPlan, settings: CompactorSettings, now_ns: int
) -> dict[str, Any]:
    """The plan as JSON-ready data."""
    comp = settings.compaction
    return {
        "tenant": state.tenant,
        "now": fmt_ns(now_ns),
        "liveBlocks": len(state.live),
        "compactedBlocks": len(state.compacted),
        "limits": {
            "compaction_window_s": comp.compaction_window,
            "max_block_bytes": comp.max_block_bytes,
            "max_compaction_objects": comp.max_compaction_objects,
            "min_input_blocks": comp.min_input_blocks,
            "max_input_blocks": comp.max_input_blocks,
        },
        "windows": [
            {
                "start": fmt_ns(wp.window_start_ns),
                "end": fmt_ns(wp.window_end_ns),
                "active": wp.active,
                "blocks": len(wp.blocks),
                "jobs": [
                    {
                        "outputBlockID": j.output_block_id,
                        "outputLevel": j.output_level,
                        "levels": "all" if j.level == ALL_LEVELS else j.level,
                        "reason": j.reason,
                        "inputs": [_block(m) for m in j.inputs],
                    }
                    for j in wp.jobs
                ],
                "skipped": [{**_block(m), "reason": why} for m, why in wp.skipped],
            }
            for wp in windows
        ],
        "retention": {
            "block_retention_s": settings.block_retention_for(state.tenant),
            "compacted_block_retention_s": comp.compacted_block_retention,
            "expired": [_block(m) for m in rp.expired],
            "compactedDue": [_block(m) for m in rp.compacted_due],
        },
        "interruptedMarkings": sorted(state.stray_meta),
    }


def _text(doc: dict[str, Any]) -> str:
    lines = [
        f"tenant {doc['tenant']}: {doc['liveBlocks']} live blocks, {doc['compactedBlocks']} compacted "
        f"(at {doc['now']})"
    ]
    for w in doc["windows"]:
        kind = "active: one level at a time" if w["active"] else "closed: all levels merge"
        lines.append(f"window {w['start']}..{w['end']} ({kind}): {w['blocks']} blocks")
        for i, j in enumerate(w["jobs"], 1):
            lines.append(
                f"  job {i}: {len(j['inputs'])} blocks -> level-{j['outputLevel']} block {j['outputBlockID']}"
            )
            lines.append(f"    why: {j['reason']}")
            lines += [
                f"    - {b['blockID']} level {b['level']}, {b['size']} bytes, {b['traces']} traces, "
                f"ends {b['end']}"
                for b in j["inputs"]
            ]
        lines += [f"  skip {b['blockID']}: {b['reason']}" for b in w["skipped"]]
        if not w["jobs"]:
            lines.append("  nothing to merge")
    r = doc["retention"]
    lines.append(
        f"retention: {len(r['expired'])} blocks past block_retention ({r['block_retention_s']:g}s), "
        f"{len(r['compactedDue'])} compacted blocks past compacted_block_retention "
        f"({r['compacted_block_retention_s']:g}s) would be deleted"
    )
    lines += [f"  delete {b['blockID']} (ends {b['end']})" for b in r["expired"] + r["compactedDue"]]
    if doc["interruptedMarkings"]:
        lines.append(f"interrupted markings to finish: {', '.join(doc['interruptedMarkings'])}")
    return "\n".join(lines)


async def show_plan(
    store: ObjectStore, settings: CompactorSettings, tenant: str, out: IO[str], *, as_json: bool = False
) -> int:
    """Print the tenant's compaction and retention plan; returns the number of planned jobs."""
    now = time.time_ns()
    state = await scan_tenant(store, tenant, MetaCache())
    windows = plan_tenant(
        tenant,
        state.live.values(),
        settings.compaction,
        now,
        retention_s=settings.block_retention_for(tenant),
        exclude=plan_exclusions(state),
    )
    rp = retention_plan(
        state, settings.block_retention_for(tenant), settings.compaction.compacted_block_retention, now
    )
    doc = plan_document(state, windows, rp, settings, now)
    print(json.dumps(doc, indent=1) if as_json else _text(doc), file=out)
    return sum(len(wp.jobs) for wp in windows)
