"""Test hooks of the compactor: the crash steps of a job, and a start gate.

Crash tests need a real ``kill -9`` at an exact point of a job (output written, inputs half marked,
deletion under way); the compactor calls :func:`tempo_py.faults.crash_point` with the steps below.
Both hooks are inert unless their variable is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

from tempo_py.faults import CRASH_ENV, crash_point

START_GATE_ENV = "TEMPOPY_TEST_COMPACTOR_START_GATE"

# Steps a test may crash at (with tempo_py.faults), in the order a job reaches them.
CRASH_STEPS = ("after_output", "mid_mark", "after_mark", "during_delete")

__all__ = ["CRASH_ENV", "CRASH_STEPS", "START_GATE_ENV", "crash_point", "wait_for_start_gate"]


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
