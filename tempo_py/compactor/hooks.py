"""Test hooks read from the environment: crash on purpose at a compaction step, start on a signal.

Crash tests need a real ``kill -9`` at an exact point of a job (output written, inputs half marked,
deletion under way); racing an outside ``kill`` against a job that takes milliseconds cannot hit
those points reliably, so the compactor SIGKILLs itself where ``TEMPOPY_TEST_COMPACTOR_CRASH_AT`` says
(not ``TEMPO_PY_...``: that prefix is reserved for config keys).
Both hooks are inert unless their variable is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path

CRASH_ENV = "TEMPOPY_TEST_COMPACTOR_CRASH_AT"
START_GATE_ENV = "TEMPOPY_TEST_COMPACTOR_START_GATE"

# Steps a test may crash at, in the order a job reaches them.
CRASH_STEPS = ("after_output", "mid_mark", "after_mark", "during_delete")


def crash_point(step: str) -> None:
    """SIGKILL this process if the environment asks for a crash at ``step``."""
    if os.environ.get(CRASH_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


async def wait_for_start_gate(stop: asyncio.Event, poll_s: float = 0.02) -> None:
    """Block until the file named by ``TEMPOPY_TEST_COMPACTOR_START_GATE`` exists (or ``stop`` is set).

    Lets a test start several compactor processes, wait until all are ready, then release them
    together so they really contend for the same jobs.
    """
    gate = os.environ.get(START_GATE_ENV)
    if not gate:
        return
    path = Path(gate)
    while not path.exists() and not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), poll_s)
