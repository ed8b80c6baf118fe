"""RegionFile: reads across adjoining and overlapping fetched regions, and nowhere else."""

from __future__ import annotations

import pytest

from tempo_py.block.rangefile import RegionFile

DATA = bytes(range(256)) * 4


def test_reads_span_adjoining_and_overlapping_regions() -> None:
    regions = {
        0: DATA[0:100],
        100: DATA[100:200],  # adjoins the first
        150: DATA[150:300],  # overlaps the second
        160: DATA[160:170],  # inside the third
        500: DATA[500:600],
    }
    f = RegionFile(len(DATA), regions)
    f.seek(50)
    assert f.read(240) == DATA[50:290]
    f.seek(520)
    assert f.read(80) == DATA[520:600]
    f.seek(250)
    with pytest.raises(OSError, match="outside fetched ranges"):
        f.read(100)  # 300..350 was never fetched
