"""OTLP bytes -> span table in worker processes.

Conversion is the one per-span Python pass (ARCHITECTURE.md: ~33k spans/s/core), so it runs
after the acknowledgement and outside the event loop's process: the loop only decodes enough to
validate and route (~500k spans/s). Tables come back as Arrow IPC, which costs one copy.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing

import pyarrow as pa
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tempo_py.model.otlp_to_arrow import resource_spans_to_table


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
            self._pool = concurrent.futures.ProcessPoolExecutor(self.workers, mp_context=ctx)
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
