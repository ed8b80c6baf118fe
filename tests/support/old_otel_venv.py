"""A cached virtualenv with the last OpenTelemetry Jaeger exporters (1.21.0) and the SDK they need.

The Jaeger exporters were removed from opentelemetry-python after 1.21.0 and pin an SDK and a
protobuf major that cannot share the project venv (SDK 1.45, protobuf 7). Tests that prove our
Jaeger receivers against those real exporters run a script in this separate interpreter::

    def test_x(old_otel_python):
        subprocess.run([str(old_otel_python), "emit.py", ...])

The venv lives under ``~/.cache/tempo_py/otel-jaeger-1.21-<key>`` (key = requirement list +
Python version), is built once with ``python -m venv`` + pip, and reused. Without network or
with a pip failure the fixture skips, saying why.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.support.cache_build import BuildUnavailable, build_once, cache_key, cache_root

__all__ = ["OLD_OTEL_REQUIREMENTS", "ensure_old_otel_venv", "old_otel_python"]

OLD_OTEL_REQUIREMENTS: tuple[str, ...] = (
    "opentelemetry-api==1.21.0",
    "opentelemetry-sdk==1.21.0",
    "opentelemetry-exporter-jaeger-thrift==1.21.0",
    "opentelemetry-exporter-jaeger-proto-grpc==1.21.0",
    # The gRPC exporter's generated gogoproto *_pb2 modules build descriptors directly, which
    # protobuf 4+ refuses ("Descriptors cannot be created directly").
    "protobuf>=3.19,<3.21",
)
INSTALL_TIMEOUT_S = 900.0


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _build(target: Path, requirements: Sequence[str]) -> None:
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", str(target)],
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )
    except subprocess.CalledProcessError as exc:
        raise BuildUnavailable(f"python -m venv failed: {_tail(exc.stderr)}") from exc
    python = target / "bin" / "python"
    cmd = [str(python), "-m", "pip", "install", "--quiet", "--timeout", "30", "--retries", "2", *requirements]
    try:
        subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
    except subprocess.CalledProcessError as exc:
        raise BuildUnavailable(
            f"pip could not install {' '.join(requirements)}: {_tail(exc.stderr)}"
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise BuildUnavailable(f"pip install took over {INSTALL_TIMEOUT_S:.0f}s (network?)") from exc


def ensure_old_otel_venv(requirements: Sequence[str] = OLD_OTEL_REQUIREMENTS) -> Path:
    """Path of the venv's python, building the venv first if needed; BuildUnavailable if pip fails."""
    version = f"py{sys.version_info.major}.{sys.version_info.minor}"
    key = cache_key([*requirements, version])
    target = cache_root() / f"otel-jaeger-1.21-{key}"
    build_once(target, lambda d: _build(d, requirements))
    return target / "bin" / "python"


@pytest.fixture(scope="session")
def old_otel_python() -> Path:
    """The interpreter of the cached OpenTelemetry 1.21 + Jaeger exporters venv (skips if unbuildable)."""
    try:
        return ensure_old_otel_venv()
    except BuildUnavailable as exc:
        pytest.skip(f"cannot build the OpenTelemetry 1.21 Jaeger exporter venv: {exc}")
