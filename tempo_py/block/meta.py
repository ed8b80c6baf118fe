"""meta.json: what a block is. Written last; a block exists for readers once it is there.

Field names follow Tempo's meta.json (blockID, tenantID, startTime, endTime, totalObjects, size,
compactionLevel, encoding, version, bloomShards, footerSize) so tools that read Tempo metas read
ours; the extra fields are ours (spanCount, rowGroups, minID/maxID, compactedTime).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

CURRENT_VERSION = "vParquet-py1"
# extra.compactedFrom: the blocks a compacted block's spans came from (all of their spans)
COMPACTED_FROM = "compactedFrom"
# fields of Tempo's own meta.json that its encodings need (dedicatedColumns) or that describe the
# block (totalRecords, indexPageSize...): kept in ``extra`` so a Tempo block reads whole
TEMPO_FIELDS = ("dedicatedColumns", "totalRecords", "indexPageSize", "replicationFactor", "dataEncoding")


def _ns_to_rfc3339(ns: int) -> str:
    sec, rem = divmod(ns, 10**9)
    dt = datetime.fromtimestamp(sec, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{rem:09d}Z"


def _rfc3339_to_ns(text: str) -> int:
    if text.endswith("Z"):
        text = text[:-1]
    main, _, frac = text.partition(".")
    dt = datetime.strptime(main, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    return int(dt.timestamp()) * 10**9 + int((frac + "000000000")[:9])


@dataclass(frozen=True)
class BlockMeta:
    """One block's metadata. Times are Unix nanoseconds in memory, RFC 3339 in JSON."""

    block_id: str
    tenant_id: str
    start_time_ns: int
    end_time_ns: int
    total_objects: int  # traces
    span_count: int
    size: int  # bytes of data.parquet
    row_groups: int
    bloom_shards: int
    footer_size: int
    compaction_level: int = 0
    version: str = CURRENT_VERSION
    encoding: str = "zstd"
    min_id: str = ""
    max_id: str = ""
    created_time_ns: int = 0
    compacted_time_ns: int = 0  # set in meta.compacted.json
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def compacted_from(self) -> list[str]:
        """IDs of the blocks this block replaces (it holds every span of theirs)."""
        return [str(b) for b in self.extra.get(COMPACTED_FROM, [])]

    @property
    def uuid(self) -> uuid.UUID:
        """The block ID as a UUID."""
        return uuid.UUID(self.block_id)

    def to_json(self) -> bytes:
        """Tempo-shaped JSON."""
        d: dict[str, Any] = {
            "format": self.version,
            "version": self.version,
            "blockID": self.block_id,
            "tenantID": self.tenant_id,
            "startTime": _ns_to_rfc3339(self.start_time_ns),
            "endTime": _ns_to_rfc3339(self.end_time_ns),
            "totalObjects": self.total_objects,
            "spanCount": self.span_count,
            "size": self.size,
            "rowGroups": self.row_groups,
            "bloomShards": self.bloom_shards,
            "footerSize": self.footer_size,
            "compactionLevel": self.compaction_level,
            "encoding": self.encoding,
            "minID": self.min_id,
            "maxID": self.max_id,
            "createdTime": _ns_to_rfc3339(self.created_time_ns),
        }
        if self.compacted_time_ns:
            d["compactedTime"] = _ns_to_rfc3339(self.compacted_time_ns)
        if self.extra:
            d["extra"] = self.extra
        return json.dumps(d, indent=1).encode()

    @staticmethod
    def from_json(data: bytes | str) -> BlockMeta:
        """Parse meta.json (or meta.compacted.json). Raises ValueError when malformed."""
        try:
            d = json.loads(data)
            return BlockMeta(
                block_id=str(uuid.UUID(d["blockID"])),
                tenant_id=d["tenantID"],
                start_time_ns=_rfc3339_to_ns(d["startTime"]),
                end_time_ns=_rfc3339_to_ns(d["endTime"]),
                total_objects=int(d["totalObjects"]),
                span_count=int(d.get("spanCount", 0)),
                size=int(d["size"]),
                row_groups=int(d.get("rowGroups", 0)),
                bloom_shards=int(d["bloomShards"]),
                footer_size=int(d["footerSize"]),
                compaction_level=int(d.get("compactionLevel", 0)),
                version=d.get("version") or d["format"],
                encoding=d.get("encoding", "zstd"),
                min_id=d.get("minID", ""),
                max_id=d.get("maxID", ""),
                created_time_ns=_rfc3339_to_ns(d["createdTime"]) if d.get("createdTime") else 0,
                compacted_time_ns=_rfc3339_to_ns(d["compactedTime"]) if d.get("compactedTime") else 0,
                extra={**{k: d[k] for k in TEMPO_FIELDS if k in d}, **d.get("extra", {})},
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"malformed block meta: {e}") from e

    def compacted(self, when_ns: int) -> BlockMeta:
        """This meta as written to meta.compacted.json."""
        return replace(self, compacted_time_ns=when_ns)

    def overlaps(self, start_ns: int | None, end_ns: int | None) -> bool:
        """Whether the block's time range meets [start, end] (None = open)."""
        if start_ns is not None and self.end_time_ns < start_ns:
            return False
        return not (end_ns is not None and self.start_time_ns > end_ns)
