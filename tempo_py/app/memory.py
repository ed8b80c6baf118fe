"""Which allocator Arrow uses in the server and its workers: jemalloc, which gives memory back.

Measured with ``python -m bench.ingest`` at 3M spans (compaction off, same machine): with pyarrow's
default mimalloc the server's resident memory between flushes crept from ~480 to ~750 MiB and
peaked at 1.1 GiB (server + worker); with jemalloc it stayed between ~350 and ~500 MiB, peaking at
953 MiB, at the same or better ingest rate. A flush frees hundreds of MB of span tables at once, and
jemalloc's time-based decay returns those pages where mimalloc kept them for reuse that the next,
differently sized tables did not find. ``ARROW_DEFAULT_MEMORY_POOL`` set by the user wins.
"""

from __future__ import annotations

import logging
import os

import pyarrow as pa

log = logging.getLogger(__name__)

_ENV = "ARROW_DEFAULT_MEMORY_POOL"
PREFERRED = "jemalloc"


def use_preferred_allocator() -> str:
    """Switch this process (and, through the environment, the workers it spawns) to jemalloc unless
    the user chose a pool. Returns the backend in use."""
    if os.environ.get(_ENV):
        return str(pa.default_memory_pool().backend_name)
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:  # a pyarrow build without jemalloc: keep its default
        backend = str(pa.default_memory_pool().backend_name)
        log.info("pyarrow has no jemalloc here; Arrow memory stays on %s", backend)
        return backend
    pa.set_memory_pool(pool)
    os.environ[_ENV] = PREFERRED  # spawned conversion workers read it when pyarrow loads
    return str(pool.backend_name)
