"""Tempo's block ``index`` object: the largest trace ID of each row group, in row-group order.

JSON ``{"rowGroups": [<base64 16-byte ID>, ...]}``. Rows are sorted by trace ID, so the first row
group whose largest ID is >= the wanted ID is the only one that can hold it.
"""

from __future__ import annotations

import base64
import bisect
import json
from dataclasses import dataclass


@dataclass(frozen=True)
class RowGroupIndex:
    """The largest trace ID of each row group."""

    max_ids: tuple[bytes, ...]

    @staticmethod
    def parse(data: bytes) -> RowGroupIndex:
        """Parse the ``index`` object. Raises ValueError when malformed."""
        try:
            doc = json.loads(data)
            return RowGroupIndex(tuple(base64.b64decode(s) for s in doc.get("rowGroups") or []))
        except (TypeError, ValueError, AttributeError) as e:
            raise ValueError(f"malformed Tempo block index: {e}") from e

    def find(self, trace_id: bytes) -> int | None:
        """The one row group that may hold ``trace_id``, or None when it is past the last."""
        i = bisect.bisect_left(self.max_ids, trace_id)
        return i if i < len(self.max_ids) else None

    @property
    def cache_weight(self) -> int:
        """Bytes against the footer cache."""
        return 64 + 24 * len(self.max_ids)
