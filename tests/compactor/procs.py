"""Real ``tempo-py serve --target compactor`` processes for crash and contention tests."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from tempo_py.compactor.compactor import Compactor
from tempo_py.compactor.retention import retention_plan
from tests.support.server import free_port


class CompactorProcess:
    """One compactor process on a local-disk bucket."""

    def __init__(
        self, workdir: Path, blocks: Path, compaction: dict[str, Any], env: dict[str, str] | None = None
    ):
        workdir.mkdir(parents=True, exist_ok=True)
        self.workdir = workdir
        self.port = free_port()
        cfg = {
            "target": "compactor",
            "server": {"http_listen_address": "127.0.0.1", "http_listen_port": self.port},
            "storage": {
                "trace": {
                    "backend": "local",
                    "local": {"path": str(blocks)},
                    "wal": {"path": str(workdir / "wal")},
                    "blocklist_poll": "1s",
                }
            },
            "compactor": {"compaction": {"compaction_cycle": "100ms", **compaction}},
        }
        self.config_path = workdir / "tempo-py.yaml"
        self.config_path.write_text(yaml.safe_dump(cfg))
        self.log_path = workdir / "compactor.log"
        env_all = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPO_PY_", "TEMPOPY_TEST_"))}
        env_all.update(env or {})
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tempo_py.cli", "serve", "--config", str(self.config_path)],
                cwd=workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env_all,
            )

    def log_tail(self) -> str:
        """The process's output (for assertion messages)."""
        return self.log_path.read_text(errors="replace")[-4000:]

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Poll /ready until 200 (a readiness check, not a fixed wait)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"compactor exited {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/ready", timeout=1) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        raise TimeoutError(f"compactor not ready:\n{self.log_tail()}")

    def metrics(self) -> str:
        """The /metrics page."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as r:
            return str(r.read().decode())

    def wait_exit(self, timeout: float = 60.0) -> int:
        """Wait for the process to end by itself (a crash hook); returns its exit code."""
        return self.proc.wait(timeout)

    def stop(self) -> None:
        """SIGTERM, then wait (SIGKILL if it hangs)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


async def wait_idle(
    comp: Compactor, tenant: str, procs: list[CompactorProcess], timeout: float = 60.0
) -> None:
    """Poll the store until nothing is left to compact, recover or delete for ``tenant``.

    ``comp`` is only used to read and plan (never to run jobs).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in procs:
            if p.proc.poll() is not None:
                raise RuntimeError(f"compactor exited {p.proc.returncode}:\n{p.log_tail()}")
        state = await comp.scan(tenant)
        rp = retention_plan(
            state,
            comp.settings.block_retention_for(tenant),
            comp.comp.compacted_block_retention,
            comp.clock(),
        )
        busy = (
            any(wp.jobs for wp in comp.plan(state))
            or state.stray_meta
            or rp.block_ids()
            or any(wp.skipped for wp in comp.plan(state))
        )
        if not busy:
            return
        await asyncio.sleep(0.05)  # poll interval of the readiness check
    raise TimeoutError("compaction did not reach a steady state:\n" + "\n".join(p.log_tail() for p in procs))
