"""Crash points for kill -9 tests: ``TEMPOPY_CRASH_AT=<point>`` makes the process SIGKILL itself there.

Production never sets the variable; tests use it to stop a real process at an exact step
(between writing a block's data and its meta.json, between compaction steps), which a kill from
outside can only hit by luck. Not ``TEMPO_PY_...``: that prefix is reserved for config keys.
"""

from __future__ import annotations

import os
import signal

CRASH_ENV = "TEMPOPY_CRASH_AT"


def crash_point(name: str) -> None:
    """SIGKILL this process if the test asked to crash at ``name``."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
