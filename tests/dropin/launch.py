"""Start ``tempo-py`` as a Tempo user would (Tempo's flags, their own file), for the drop-in tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.support.server import free_port


@dataclass
class Launched:
    """One server process started from a command line, with its log file."""

    proc: subprocess.Popen[bytes]
    http_port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        req = urllib.request.Request(self.url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def run(args: list[str], workdir: Path, env_extra: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """``python -m tempo_py.cli <args>`` in ``workdir``, output into ``workdir/server.log``."""
    env = {**os.environ, **(env_extra or {})}
    log = open(workdir / "server.log", "ab")  # noqa: SIM115 (kept open for the child's lifetime)
    return subprocess.Popen(
        [sys.executable, "-m", "tempo_py.cli", *args],
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )


def launch(
    args: list[str],
    workdir: Path,
    http_port: int,
    env_extra: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> Launched:
    """Start and wait for /ready 200; raise with the log if it exits or never gets ready."""
    workdir.mkdir(parents=True, exist_ok=True)
    srv = Launched(run(args, workdir, env_extra), http_port, workdir / "server.log")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if srv.proc.poll() is not None:
            raise RuntimeError(f"tempo-py exited with {srv.proc.returncode}:\n{srv.log()}")
        try:
            with urllib.request.urlopen(srv.url + "/ready", timeout=1) as r:
                if r.status == 200:
                    return srv
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    srv.stop()
    raise TimeoutError(f"not ready in {timeout}s:\n{srv.log()}")


__all__ = ["Launched", "free_port", "launch", "run"]
