"""The Node.js ``jaeger-client`` from npm, installed once into ``~/.cache/tempo_py/node-jaeger-<key>``.

jaeger-client-node is the one widely deployed Jaeger client that speaks Thrift *binary* over UDP
(its UDPSender encodes Agent.emitBatch with thriftrw, a binary-protocol codec, to port 6832) and
Thrift over HTTP to the collector (HTTPSender, ``/api/traces``). Tests run a script with::

    def test_x(node_jaeger):
        node_jaeger.run(script, args, timeout=60)

``require("jaeger-client")`` resolves through ``NODE_PATH``, so scripts may live anywhere. The
fixture skips, saying why, when ``node``/``npm`` are missing or ``npm install`` fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cache_build import BuildUnavailable, build_once, cache_key, cache_root

__all__ = ["NODE_JAEGER_PACKAGE", "NodeJaeger", "ensure_node_jaeger", "node_jaeger"]

NODE_JAEGER_PACKAGE = "jaeger-client@3"
INSTALL_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class NodeJaeger:
    """A node binary and a node_modules directory holding jaeger-client."""

    node: str
    modules: Path

    @property
    def version(self) -> str:
        """The installed jaeger-client version."""
        manifest = self.modules / "jaeger-client" / "package.json"
        return str(json.loads(manifest.read_text())["version"])

    def run(self, script: Path, args: list[str], timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Run ``node script args...`` with jaeger-client resolvable; raises on a non-zero exit."""
        env = {**os.environ, "NODE_PATH": str(self.modules)}
        return subprocess.run(
            [self.node, str(script), *args],
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )


def _build(target: Path, npm: str, package: str) -> None:
    # A private package.json keeps npm from walking up to some unrelated project's manifest.
    (target / "package.json").write_text(json.dumps({"name": "tempo-py-node-jaeger", "private": True}))
    cmd = [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", package]
    try:
        subprocess.run(cmd, cwd=target, check=True, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
    except subprocess.CalledProcessError as exc:
        tail = "\n".join((exc.stderr or exc.stdout).strip().splitlines()[-15:])
        raise BuildUnavailable(f"npm install {package} failed: {tail}") from exc
    except subprocess.TimeoutExpired as exc:
        raise BuildUnavailable(
            f"npm install {package} took over {INSTALL_TIMEOUT_S:.0f}s (network?)"
        ) from exc


def ensure_node_jaeger(package: str = NODE_JAEGER_PACKAGE) -> NodeJaeger:
    """Node plus an installed jaeger-client; BuildUnavailable when node/npm or the install fail."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise BuildUnavailable("node and npm are not both on PATH")
    target = cache_root() / f"node-jaeger-{cache_key([package])}"
    build_once(target, lambda d: _build(d, npm, package))
    return NodeJaeger(node=node, modules=target / "node_modules")


@pytest.fixture(scope="session")
def node_jaeger() -> NodeJaeger:
    """jaeger-client for Node.js from npm (skips with the reason when unavailable)."""
    try:
        return ensure_node_jaeger()
    except BuildUnavailable as exc:
        pytest.skip(f"Node.js jaeger-client unavailable: {exc}")
