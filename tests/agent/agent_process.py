"""A real ``tempo-py agent`` process for tests: its config file, ports, start/stop/kill, metrics."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import grpc
import yaml
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tests.support.server import free_port

EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


class AgentProcess:
    """One agent, OTLP gRPC in, forwarding to ``forward_to``; queue under ``workdir``."""

    def __init__(self, workdir: Path, forward_to: str, extra: dict[str, Any] | None = None) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.http_port = free_port()
        self.grpc_port = free_port()
        self.queue_path = workdir / "queue"
        config: dict[str, Any] = {
            "server": {"http_listen_address": "127.0.0.1", "http_listen_port": self.http_port},
            "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"127.0.0.1:{self.grpc_port}"}}}},
            "forward": {"endpoint": forward_to, "batch_timeout": "50ms", "retry_max_interval": "1s"},
            "queue": {"path": str(self.queue_path)},
        }
        for key, value in (extra or {}).items():
            config[key] = {**config[key], **value} if isinstance(value, dict) and key in config else value
        self.config_path = workdir / "agent.yaml"
        self.config_path.write_text(yaml.safe_dump(config))
        self.log_path = workdir / "agent.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._channel: grpc.Channel | None = None

    def start(self, timeout: float = 30.0) -> AgentProcess:
        log = open(self.log_path, "ab")  # noqa: SIM115 (kept open for the child's lifetime)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tempo_py.cli", "agent", "--config", str(self.config_path)],
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={k: v for k, v in os.environ.items() if not k.startswith("TEMPO_PY_")},
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"agent exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/ready", timeout=1) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        raise TimeoutError(f"agent not ready:\n{self.log_tail()}")

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if self._channel is not None:
            self._channel.close()
            self._channel = None

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def export(self, req: ExportTraceServiceRequest) -> grpc.StatusCode:
        """One OTLP Export to the agent; OK means acknowledged (fsynced in its queue)."""
        if self._channel is None:
            self._channel = grpc.insecure_channel(f"127.0.0.1:{self.grpc_port}")
        call = self._channel.unary_unary(
            EXPORT,
            request_serializer=ExportTraceServiceRequest.SerializeToString,
            response_deserializer=ExportTraceServiceResponse.FromString,
        )
        try:
            call(req, timeout=5)
        except grpc.RpcError as err:
            return err.code()  # type: ignore[no-any-return]
        return grpc.StatusCode.OK

    def metric(self, name: str) -> float:
        """The sum of every sample of ``name`` on the agent's /metrics."""
        return metric_sum(f"http://127.0.0.1:{self.http_port}/metrics", name)

    def queue_disk_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.queue_path.glob("*.seg"))


def metric_sum(url: str, name: str) -> float:
    """The sum of every sample of ``name`` at a Prometheus endpoint."""
    with urllib.request.urlopen(url, timeout=10) as r:
        text = r.read().decode()
    return sum(float(v) for v in re.findall(rf"^{re.escape(name)}(?:{{[^}}]*}})? (\S+)$", text, re.M))
