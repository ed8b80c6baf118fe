"""Crash points for kill -9 tests: ``TEMPOPY_CRASH_AT=<point>`` makes the process SIGKILL itself there.

Production never sets the variable; tests use it to stop a real process at an exact step
(between writing a block's data and its meta.json, between compaction steps), which a kill from
outside can only hit by luck.
"""

from __future__ import annotations

import os
import signal

_POINT = os.environ.get("TEMPOPY_CRASH_AT", "")


def crash_point(name: str) -> None:
    """SIGKILL this process if the test asked to crash at ``name``."""
    if _POINT and name == _POINT:
        os.kill(os.getpid(), signal.SIGKILL)
