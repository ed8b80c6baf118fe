"""Defect 9 of issue 17: kill -9 of the server must not leave its conversion worker (a spawned
multiprocessing process) or the multiprocessing resource tracker running.

Children are found through /proc (Linux), so the test needs no psutil."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tempo_py.testing.otlp_factory import rich_request
from tests.support.server import TempoServer

ServerFactory = Callable[..., TempoServer]
PROC = Path("/proc")

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, or None once it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")"
    fields = text.rsplit(")", 1)[1].split()
    return fields[0], int(fields[1])


def _descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (st := _stat(int(entry.name))) is not None:
            parents[int(entry.name)] = st[1]
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return found


def _running(pid: int) -> bool:
    st = _stat(pid)
    return st is not None and st[0] != "Z"  # a zombie is dead, only not yet reaped by its new parent


def _cmdline(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_kill_9_leaves_no_worker_or_resource_tracker(tempo_server_factory: ServerFactory) -> None:
    srv = tempo_server_factory({"ingester": {"convert_workers": 1}})
    assert srv.proc is not None
    req = rich_request(n_traces=2, spans_per_trace=3, seed=9)
    status, _, body = srv.request(
        "POST", "", req.SerializeToString(), {"Content-Type": "application/x-protobuf"}, url=srv.otlp_http_url
    )
    assert status == 200, body
    tid = req.resource_spans[0].scope_spans[0].spans[0].trace_id.hex()
    assert srv.get_trace(tid)[0] == 200  # a read settles conversion: the worker has run by now

    def spawned() -> set[int]:
        return {p for p in _descendants(srv.proc.pid) if "multiprocessing" in _cmdline(p)}  # type: ignore[union-attr]

    assert _wait_for(lambda: len(spawned()) >= 2, 30), [_cmdline(p) for p in _descendants(srv.proc.pid)]
    children = _descendants(srv.proc.pid)
    kinds = " ".join(_cmdline(p) for p in children)
    assert "spawn_main" in kinds and "resource_tracker" in kinds, kinds  # both are what we watch

    srv.kill()
    # Bound generous for a loaded 2-core machine; before the fix they ran until killed by hand.
    gone = _wait_for(lambda: not any(_running(p) for p in children), 15)
    left = {p: _cmdline(p) for p in children if _running(p)}
    for pid in left:  # do not leak them into the rest of the run, whatever the outcome
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert gone, f"still running 15 s after kill -9 of the server: {left}"


def _run(code: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, check=False
    )


def test_initializer_exits_when_the_parent_is_already_gone() -> None:
    # the worker started, but its parent died before the death signal was armed
    done = _run(
        "import os; from tempo_py.ingester.convert_pool import die_with_parent; "
        "die_with_parent(os.getppid() + 1_000_000); print('survived')"
    )
    assert done.returncode == 1 and "survived" not in done.stdout, (done.returncode, done.stderr)


def test_watchdog_alone_ends_an_orphan() -> None:
    """The portable half on its own (no prctl): a grandchild running only the watchdog exits once
    its parent is SIGKILLed."""
    middle = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys, time\n"
            "c = subprocess.Popen([sys.executable, '-c', 'import os, time\\n"
            "from tempo_py.ingester.convert_pool import _watch_parent\\n"
            "print(os.getpid(), flush=True)\\n"
            "_watch_parent(os.getppid())\\n'], stdout=subprocess.PIPE, text=True)\n"
            "print(c.stdout.readline().strip(), flush=True)\n"
            "time.sleep(600)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert middle.stdout is not None
        grandchild = int(middle.stdout.readline())
        assert _running(grandchild)
        middle.kill()
        middle.wait(10)
        gone = _wait_for(lambda: not _running(grandchild), 15)
        if not gone:
            os.kill(grandchild, signal.SIGKILL)
        assert gone, "the watchdog did not end the orphan"
    finally:
        middle.kill()
