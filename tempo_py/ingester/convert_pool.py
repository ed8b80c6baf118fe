"""OTLP bytes -> span table in worker processes.

Conversion is the one per-span Python pass (ARCHITECTURE.md: ~33k spans/s/core), so it runs
after the acknowledgement and outside the event loop's process: the loop only decodes enough to
validate and route (~500k spans/s). Tables come back as Arrow IPC, which costs one copy.

Workers die with the server. A spawned worker blocks reading the executor's call queue, whose write
end it holds itself, so after ``kill -9`` of the server it would wait forever (~100 MiB each), and
with it the multiprocessing resource tracker, which exits only once every holder of its pipe has
gone (the tracker is kept: it is what unlinks the queues' named semaphores after such a crash).
Each worker therefore asks Linux for SIGKILL when its parent dies (``PR_SET_PDEATHSIG``) and also
runs a watchdog thread that exits once its parent pid changes (other platforms, and belt and braces).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time

import pyarrow as pa
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tempo_py.model.otlp_to_arrow import resource_spans_to_table

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_PARENT_POLL_S = 0.5  # the watchdog's period: how long an orphan may outlive its parent at most


def die_with_parent(parent_pid: int) -> None:
    """Worker initializer: end this process when ``parent_pid`` (the server) ends.

    PR_SET_PDEATHSIG fires when the *thread* that spawned the worker exits; the executor spawns
    from the thread that submits, the event loop's, which lives as long as the server does.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
                log.warning("prctl(PR_SET_PDEATHSIG): %s", os.strerror(ctypes.get_errno()))
        except (OSError, AttributeError) as e:  # no prctl here: the watchdog below still works
            log.warning("prctl(PR_SET_PDEATHSIG) unavailable: %s", e)
    if os.getppid() != parent_pid:  # the parent died before the death signal was armed
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="parent-watchdog", daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    # An orphan is re-parented (to init or a subreaper), so a changed parent pid means the server
    # is gone. os._exit: nothing here needs cleanup, and the main thread may be blocked on a read.
    while os.getppid() == parent_pid:
        time.sleep(_PARENT_POLL_S)
    os._exit(1)


def otlp_bytes_to_table(payload: bytes, *, packed: bool = False) -> pa.Table:
    """Decode an ExportTraceServiceRequest and convert it (``packed``: see tempo_py.model.packing)."""
    req = ExportTraceServiceRequest()
    req.ParseFromString(payload)
    return resource_spans_to_table(req.resource_spans, packed=packed)


def _convert_ipc(payload: bytes) -> bytes:
    return table_to_ipc(otlp_bytes_to_table(payload, packed=True))


def table_from_ipc(data: bytes) -> pa.Table:
    """Read an Arrow IPC stream."""
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


def table_to_ipc(table: pa.Table) -> bytes:
    """Write an Arrow IPC stream."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


class ConvertPool:
    """Converts in ``workers`` processes, or in a thread of this process when ``workers`` is 0.

    Tables come back packed (resource/scope columns dictionary-encoded). At most two requests per
    worker are in flight: the rest wait here as the bytes they already are, instead of as pickled
    copies in the executor's queue.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._slots = asyncio.Semaphore(2 * max(1, workers))

    def _executor(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            self._pool = concurrent.futures.ProcessPoolExecutor(
                self.workers, mp_context=ctx, initializer=die_with_parent, initargs=(os.getpid(),)
            )
        return self._pool

    async def convert(self, payload: bytes) -> pa.Table:
        """The packed span table of one OTLP request."""
        async with self._slots:
            if self.workers == 0:
                return await asyncio.to_thread(otlp_bytes_to_table, payload, packed=True)
            loop = asyncio.get_running_loop()
            try:
                data = await loop.run_in_executor(self._executor(), _convert_ipc, payload)
            except concurrent.futures.process.BrokenProcessPool:
                self._pool = None  # a worker died (OOM-killed?): start a new pool and retry once
                data = await loop.run_in_executor(self._executor(), _convert_ipc, payload)
            return table_from_ipc(data)

    def close(self) -> None:
        """Stop the worker processes."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
