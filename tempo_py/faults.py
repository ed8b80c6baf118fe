"""Fault hooks for tests of real processes.

Crash points for kill -9 tests: ``TEMPOPY_CRASH_AT=<point>`` makes the process SIGKILL itself there.

Production never sets the variable; tests use it to stop a real process at an exact step
(between writing a block's data and its meta.json, between compaction steps), which a kill from
outside can only hit by luck. Not ``TEMPO_PY_...``: that prefix is reserved for config keys.

Injected faults: ``TEMPOPY_FAULT=<name>[,<name>...]`` makes the code at a fault site fail the way
the environment would (e.g. ``wal_enospc_once``: the first WAL write of the process writes half its
batch and fails with ENOSPC), for where the real condition cannot be made (no tmpfs to fill).
"""

from __future__ import annotations

import os
import signal
import threading

CRASH_ENV = "TEMPOPY_CRASH_AT"
FAULT_ENV = "TEMPOPY_FAULT"
WAL_ENOSPC_ONCE = "wal_enospc_once"

_taken: set[str] = set()
_lock = threading.Lock()  # fault sites run in worker threads


def crash_point(name: str) -> None:
    """SIGKILL this process if the test asked to crash at ``name``."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def take_fault(name: str) -> bool:
    """True the first time a fault site asks for ``name`` when the test enabled it (names ending in
    ``_once`` fire once per process; others every time), else False. Costs one dict lookup when no
    fault is set, as in production."""
    enabled = os.environ.get(FAULT_ENV)
    if not enabled or name not in enabled.split(","):
        return False
    if not name.endswith("_once"):
        return True
    with _lock:
        if name in _taken:
            return False
        _taken.add(name)
        return True
