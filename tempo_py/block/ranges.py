"""Byte ranges of a block object: merging nearby ranges into few range GETs."""

from __future__ import annotations

# Ranges closer than this are fetched as one: a request costs ~10 ms on S3, while reading a few
# hundred KiB more costs little.
MERGE_GAP = 1 << 20


def merge_ranges(spans: list[tuple[int, int]], gap: int) -> list[tuple[int, int]]:
    """Sort and merge byte ranges whose distance is at most ``gap``."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if out and lo - out[-1][1] <= gap:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out
