"""Small helpers the storage-cost contenders share: progress, percentiles, ports, HTTP push, processes."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import TracebackType

import aiohttp
import numpy as np


class Progress:
    """A one-line progress bar on stderr, redrawn at most 4 times a second (no dependency on tqdm).

    Quiet when stderr is not a terminal (CI logs), except for the final line.
    """

    def __init__(self, label: str, total: int, unit: str = "spans") -> None:
        self.label = label
        self.total = max(total, 1)
        self.unit = unit
        self.done = 0
        self._began = time.perf_counter()
        self._drawn = 0.0
        self._tty = sys.stderr.isatty()

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._draw(final=True)

    def update(self, n: int) -> None:
        """Count ``n`` more units done."""
        self.done += n
        now = time.perf_counter()
        if self._tty and now - self._drawn >= 0.25:
            self._drawn = now
            self._draw(final=False)

    def _draw(self, final: bool) -> None:
        elapsed = time.perf_counter() - self._began
        frac = min(self.done / self.total, 1.0)
        bar = "#" * int(frac * 30)
        rate = self.done / elapsed if elapsed > 0 else 0.0
        line = (
            f"  {self.label:<22} [{bar:<30}] {self.done:>10,}/{self.total:,} {self.unit} "
            f"{rate:>9,.0f}/s {elapsed:6.1f}s"
        )
        if self._tty:
            sys.stderr.write("\r" + line + ("\n" if final else ""))
        elif final:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation; 0.0 for no values."""
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else 0.0


def time_lookups(lookup: Callable[[bytes], None], trace_ids: Iterable[bytes]) -> list[float]:
    """Milliseconds each call of ``lookup`` took, one trace ID after another."""
    out: list[float] = []
    for tid in trace_ids:
        began = time.perf_counter()
        lookup(tid)
        out.append((time.perf_counter() - began) * 1000)
    return out


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def dir_bytes(root: Path, suffixes: tuple[str, ...] = ()) -> int:
    """Total size of the files under ``root`` (only names ending in ``suffixes`` when given)."""
    total = 0
    for dirpath, _, files in os.walk(root):
        for f in files:
            if not suffixes or f.endswith(suffixes):
                total += os.path.getsize(os.path.join(dirpath, f))
    return total


def http_request(
    url: str,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> tuple[int, bytes]:
    """One blocking HTTP request; returns (status, body) for any status, raises on no connection."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return int(r.status), r.read()
    except urllib.error.HTTPError as e:
        return int(e.code), e.read()


def wait_http_ok(url: str, proc: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    """Poll ``url`` until it answers 200; fail early if ``proc`` exits, with its log's tail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with code {proc.returncode}:\n{log_tail(log)}")
        try:
            if http_request(url, timeout=2.0)[0] == 200:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready after {timeout:.0f}s:\n{log_tail(log)}")


def log_tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log file ('' when unreadable)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """SIGTERM, then SIGKILL if it does not exit in ``timeout`` seconds."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


async def _push_all(
    url: str, bodies: Iterable[tuple[bytes, int]], concurrency: int, progress: Progress, timeout: float
) -> None:
    queue: asyncio.Queue[tuple[bytes, int] | None] = asyncio.Queue(maxsize=concurrency * 2)
    headers = {"Content-Type": "application/x-protobuf"}

    async def worker(session: aiohttp.ClientSession) -> None:
        while (item := await queue.get()) is not None:
            body, spans = item
            for attempt in range(60):
                async with session.post(url, data=body, headers=headers) as r:
                    text = await r.read()
                    if r.status == 200:
                        break
                    # 429/503: the server asks us to back off (live data over its limit): wait, retry.
                    if r.status not in (429, 503) or attempt == 59:
                        raise RuntimeError(f"POST {url}: HTTP {r.status}: {text[:300]!r}")
                await asyncio.sleep(min(0.1 * 2**attempt, 2.0))
            progress.update(spans)

    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(timeout=client_timeout) as session:
        workers = [asyncio.create_task(worker(session)) for _ in range(concurrency)]
        try:
            for item in bodies:
                await queue.put(item)
                for w in workers:
                    if w.done():
                        w.result()  # a worker failed: surface its error now
            for _ in workers:
                await queue.put(None)
            await asyncio.gather(*workers)
        finally:
            for w in workers:
                w.cancel()


def push_otlp(
    url: str,
    bodies: Iterable[tuple[bytes, int]],
    total_spans: int,
    label: str,
    concurrency: int = 4,
    timeout: float = 120.0,
) -> float:
    """POST each (OTLP protobuf request, its span count) to ``url``; returns the seconds it took."""
    began = time.perf_counter()
    with Progress(label, total_spans) as progress:
        asyncio.run(_push_all(url, bodies, concurrency, progress, timeout))
    return time.perf_counter() - began
