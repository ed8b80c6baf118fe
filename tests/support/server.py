"""A real ``tempo-py serve`` process for end-to-end tests: free ports, readiness by HTTP, kill/restart.

Usage in a test::

    def test_x(tempo_server_factory):
        srv = tempo_server_factory()            # local disk under tmp_path
        srv.push_otlp_http(request)
        srv.get_trace(trace_id_hex)
        srv.kill()                               # SIGKILL
        srv.start()                              # same data dir and ports
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_udp_port() -> int:
    """A UDP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


class TempoServer:
    """One server process with its own data directory and ports."""

    def __init__(self, workdir: Path, config: dict[str, Any] | None = None) -> None:
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.http_port = free_port()
        self.otlp_http_port = free_port()
        self.otlp_grpc_port = free_port()
        base: dict[str, Any] = {
            "server": {"http_listen_address": "127.0.0.1", "http_listen_port": self.http_port},
            "distributor": {
                "receivers": {
                    "otlp": {
                        "protocols": {
                            "http": {"endpoint": f"127.0.0.1:{self.otlp_http_port}"},
                            "grpc": {"endpoint": f"127.0.0.1:{self.otlp_grpc_port}"},
                        }
                    }
                },
                "ingester_count": 2,
            },
            "ingester": {"convert_workers": 0, "flush_check_period": "200ms"},
            "storage": {
                "trace": {
                    "backend": "local",
                    "local": {"path": str(workdir / "blocks")},
                    "wal": {"path": str(workdir / "wal")},
                    "blocklist_poll": "1s",
                }
            },
        }
        self.config = _deep_merge(base, config or {})
        self.config_path = workdir / "tempo-py.yaml"
        self.write_config()
        self.proc: subprocess.Popen[bytes] | None = None
        # For a server with server.http_tls_config: the client context (trusting the test CA)
        # that start() and request() use; set it before start().
        self.ssl_context: ssl.SSLContext | None = None
        self.log_path = workdir / "server.log"

    def write_config(self) -> None:
        """Write ``self.config`` to the file ``start`` passes (call after editing it, before start)."""
        self.config_path.write_text(yaml.safe_dump(self.config))

    @property
    def url(self) -> str:
        """Base URL of the query API (https when ``server.http_tls_config`` has a cert)."""
        tls = self.config.get("server", {}).get("http_tls_config") or {}
        return f"{'https' if tls.get('cert_file') else 'http'}://127.0.0.1:{self.http_port}"

    @property
    def otlp_http_url(self) -> str:
        """OTLP/HTTP traces endpoint."""
        return f"http://127.0.0.1:{self.otlp_http_port}/v1/traces"

    @property
    def otlp_grpc_target(self) -> str:
        """OTLP/gRPC host:port."""
        return f"127.0.0.1:{self.otlp_grpc_port}"

    def start(self, timeout: float = 60.0, env_extra: dict[str, str] | None = None) -> TempoServer:
        """Start the process and wait until /ready answers 200 (``env_extra``: e.g. TEMPOPY_CRASH_AT)."""
        env = dict(os.environ)
        env.pop("TEMPOPY_CRASH_AT", None)
        env.update(env_extra or {})
        log = open(self.log_path, "ab")  # noqa: SIM115 (kept open for the child's lifetime)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tempo_py.cli", "serve", "--config", str(self.config_path)],
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"tempo-py exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/ready", timeout=1, context=self.ssl_context) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        raise TimeoutError(f"tempo-py not ready in {timeout}s:\n{self.log_tail()}")

    def log_tail(self, n: int = 60) -> str:
        """Last lines of the server's output."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL, no cleanup: what a crash looks like."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM and wait; returns the exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        url: str | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """One HTTP request; returns (status, headers, body) for any status."""
        req = urllib.request.Request(url or self.url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=60, context=self.ssl_context) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def flush(self) -> None:
        """POST /flush and wait for it."""
        status, _, body = self.request("POST", "/flush")
        assert status in (200, 204), body

    def get_trace(
        self,
        trace_id: str,
        *,
        version: int = 2,
        protobuf: bool = False,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """GET a trace by ID."""
        path = f"/api/v2/traces/{trace_id}" if version == 2 else f"/api/traces/{trace_id}"
        h = dict(headers or {})
        if protobuf:
            h["Accept"] = "application/protobuf"
        status, _, body = self.request("GET", path, headers=h)
        return status, body


@pytest.fixture
def tempo_server_factory(tmp_path: Path) -> Iterator[Any]:
    """Factory of started servers (``config`` is merged over the test defaults); all stopped at the end."""
    servers: list[TempoServer] = []

    def make(config: dict[str, Any] | None = None, name: str = "srv", start: bool = True) -> TempoServer:
        srv = TempoServer(tmp_path / f"{name}{len(servers)}", config)
        servers.append(srv)
        return srv.start() if start else srv

    yield make
    for s in servers:
        s.kill()
