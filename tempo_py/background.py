"""CPU work of background jobs (compaction) runs below ingest and queries in the scheduler's eyes.

Compaction is deferrable; acknowledging spans and answering queries are not. In the single binary
both share two cores, and compaction of fresh blocks took as much CPU during a 3M-span ingest as the
ingester's own flushes (py-spy: ~30 % each), so the ingest rate fell as blocks accumulated. Code
running under :func:`background` sends its blocking work through :func:`to_thread` to a pool whose
threads carry a higher nice value (Linux schedules threads individually): when the cores are busy
with ingest, compaction gets a small share and catches up once they are not; when idle, it runs
at full speed. Outside :func:`background` (ingest, queries), :func:`to_thread` is asyncio's.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

log = logging.getLogger(__name__)

# 10 gives a thread ~1/10 of the CPU a nice-0 thread competing with it gets (CFS weights 110 vs 1024).
BACKGROUND_NICE = 10
_WORKERS = 2

P = ParamSpec("P")
R = TypeVar("R")

_in_background: contextvars.ContextVar[bool] = contextvars.ContextVar("tempo_py_background", default=False)
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _lower_priority() -> None:
    try:  # PRIO_PROCESS with a thread ID changes that thread only, on Linux
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)
    except (OSError, AttributeError) as e:  # not Linux, or a sandbox that forbids it
        log.warning("background thread keeps normal priority: %s", e)


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(_WORKERS, thread_name_prefix="background", initializer=_lower_priority)
        return _pool


@contextlib.contextmanager
def background() -> Iterator[None]:
    """Within this block (and tasks it starts), :func:`to_thread` runs at background priority."""
    token = _in_background.set(True)
    try:
        yield
    finally:
        _in_background.reset(token)


def in_background() -> bool:
    """Whether the current context is background work."""
    return _in_background.get()


async def to_thread(func: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """``asyncio.to_thread``, on the low-priority pool when called from background work."""
    if not _in_background.get():
        return await asyncio.to_thread(func, *args, **kwargs)
    ctx = contextvars.copy_context()
    call = functools.partial(ctx.run, func, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_executor(), call)
