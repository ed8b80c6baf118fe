"""The threads search decodes and evaluates on, apart from the event loop's default executor.

Receivers append to the WAL and read small objects through ``asyncio.to_thread``; if searches
shared that executor, a search decoding a large block would queue pushes behind its row groups.
Search work runs here instead, on one thread fewer than there are cores (at least one): Arrow's
decode and kernels release the GIL and would otherwise take every core from the event loop and the
ingest path. Shared by every search of the process.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 2) - 1), thread_name_prefix="search")
    return _pool


async def cpu(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``fn(*args, **kwargs)`` on a search thread."""
    call = functools.partial(fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_executor(), call)
