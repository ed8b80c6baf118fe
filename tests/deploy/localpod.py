"""Run a rendered pod template as a local process: the manifests' own command, args, env and files.

What Kubernetes would provide is replaced by the least that stands in for it, and nothing else:

- the container filesystem: a directory; every ConfigMap file is written at its mount path under
  it, and paths under a volume mount (in args and in the mounted config) are read under it too;
- pod networking: every container port gets a free local port (several pods share this machine),
  so ``host:port`` strings and ``*_port`` keys naming a container port are rewritten to it;
- Services and DNS: ``<service>[.<namespace>[.svc[.cluster.local]]]:<port>`` becomes
  ``127.0.0.1:<the local port of the Service's target port>``;
- the Downward API: ``spec.nodeName`` is ``test-node``, ``status.hostIP`` / ``status.podIP``
  ``127.0.0.1``, ``metadata.*`` the pod's; hostPorts are the container ports' local ports.

Init containers are not run (the agent's only fixes the ownership of its hostPath volume).
"""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.deploy.manifests import container_port, find, labels_match, mounted_files, pod_spec

NODE_NAME = "test-node"


_taken: set[int] = set()


def _free_port(udp: bool) -> int:
    """A free port below Linux's ephemeral range (32768+).

    An ephemeral port could be handed to a client socket while its server is down (the agent keeps
    reconnecting to the killed single binary), and a connect to a port equal to its own source
    port self-connects and holds it, so the restarted server could not bind it again.
    """
    kind = socket.SOCK_DGRAM if udp else socket.SOCK_STREAM
    for _ in range(1000):
        port = random.randrange(20000, 32000)
        if port in _taken:
            continue
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind(("0.0.0.0", port))
            except OSError:
                continue
        _taken.add(port)
        return port
    raise RuntimeError("no free port in 20000-32000")


class Cluster:
    """The Services of every rendered overlay booted here, resolved to the local pods behind them."""

    def __init__(self, docs: tuple[dict[str, Any], ...]) -> None:
        self.docs = docs
        self.pods: list[LocalPod] = []

    def service_target(self, service: str, port: int) -> int | None:
        """The local port behind ``service:port``, if a booted pod backs it."""
        for svc in find(self.docs, "Service", service):
            for p in svc["spec"]["ports"]:
                if p["port"] != port:
                    continue
                for pod in self.pods:
                    if labels_match(svc["spec"]["selector"], pod.labels):
                        cp = container_port(pod.container, p.get("targetPort", p["port"]))
                        if cp is not None:
                            return pod.ports[cp["containerPort"]]
        return None

    def resolve(self, text: str, pod: LocalPod) -> str:
        """``text`` with Service addresses and the pod's own container ports made local."""

        def sub(m: re.Match[str]) -> str:
            host, port = m.group(1), int(m.group(2))
            name = host.split(".")[0]
            namespace = pod.namespace
            if host in ("0.0.0.0", "127.0.0.1", "localhost", "::", "") and port in pod.ports:
                return f"{host or '0.0.0.0'}:{pod.ports[port]}"
            svc_forms = {name, f"{name}.{namespace}", f"{name}.{namespace}.svc"}
            svc_forms.add(f"{name}.{namespace}.svc.cluster.local")
            if host in svc_forms:
                target = self.service_target(name, port)
                if target is not None:
                    return f"127.0.0.1:{target}"
            return m.group(0)

        return re.sub(r"(?<![\w.-])([A-Za-z0-9_.-]*):(\d{2,5})\b", sub, text)


class LocalPod:
    """One container of a workload's pod template, as a local process under ``root``."""

    def __init__(
        self, cluster: Cluster, workload: dict[str, Any], root: Path, container: str | None = None
    ) -> None:
        self.cluster = cluster
        self.workload = workload
        self.root = root
        spec = pod_spec(workload)
        self.container = next(c for c in spec["containers"] if container in (None, c["name"]))
        self.labels: dict[str, str] = workload["spec"]["template"]["metadata"].get("labels", {})
        self.namespace: str = workload["metadata"].get("namespace", "default")
        self.name = f"{workload['metadata']['name']}-0"
        self.ports = {
            p["containerPort"]: _free_port(p.get("protocol", "TCP") == "UDP")
            for p in self.container.get("ports", [])
        }
        self.mounts = [m["mountPath"].rstrip("/") for m in self.container.get("volumeMounts", [])]
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = root / "container.log"
        root.mkdir(parents=True, exist_ok=True)
        cluster.pods.append(self)

    def host_path(self, path: str) -> str:
        """Where the container path ``path`` is, here."""
        return str(self.root / path.lstrip("/"))

    def _local_paths(self, text: str) -> str:
        if not self.mounts:
            return text
        alternatives = "|".join(re.escape(m) for m in sorted(self.mounts, key=len, reverse=True))
        # One pass, so a path already made local is not rewritten again (e.g. by the /tmp mount).
        return re.sub(
            rf"(?<![\w/])({alternatives})(?=/|$|[^\w-])", lambda m: self.host_path(m.group(1)), text
        )

    def _config_text(self, text: str) -> str:
        """The mounted file with ports, Service names and mount paths made local (text otherwise as is)."""

        def port_key(m: re.Match[str]) -> str:
            port = int(m.group(2))
            return f"{m.group(1)}{self.ports.get(port, port)}"

        text = re.sub(r"^(\s*\w+_port:\s*)(\d+)\s*$", port_key, text, flags=re.M)
        return self.cluster.resolve(self._local_paths(text), self)

    def _env(self, extra: dict[str, str]) -> dict[str, str]:
        field_values = {
            "spec.nodeName": NODE_NAME,
            "status.hostIP": "127.0.0.1",
            "status.podIP": "127.0.0.1",
            "metadata.name": self.name,
            "metadata.namespace": self.namespace,
            "metadata.uid": "00000000-0000-0000-0000-000000000001",
        }
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(self.root), "LANG": "C.UTF-8"}
        for e in self.container.get("env", []):
            if "value" in e:
                env[e["name"]] = self.cluster.resolve(e["value"], self)
            elif "fieldRef" in e.get("valueFrom", {}):
                env[e["name"]] = field_values[e["valueFrom"]["fieldRef"]["fieldPath"]]
            else:
                raise AssertionError(f"env {e['name']}: no local stand-in for {e['valueFrom']}")
        env.update(extra)
        return env

    def argv(self) -> list[str]:
        """The container's command and args, the command found next to this Python."""
        command = list(self.container.get("command", []))
        assert command, "the test needs an explicit command (the image's ENTRYPOINT is checked elsewhere)"
        exe = Path(sys.executable).parent / command[0]
        assert exe.exists(), f"{command[0]} is not installed next to {sys.executable}"
        args = [self.cluster.resolve(self._local_paths(a), self) for a in self.container.get("args", [])]
        return [str(exe), *command[1:], *args]

    def start(self, extra_env: dict[str, str] | None = None, timeout: float = 60.0) -> LocalPod:
        """Write the mounted files, start the process, wait for its readiness probe."""
        for path, text in mounted_files(self.cluster.docs, self.workload, self.container).items():
            dest = Path(self.host_path(path))
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(self._config_text(text))
        for mount in self.mounts:
            Path(self.host_path(mount)).mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 (kept open for the child's lifetime)
        self.proc = subprocess.Popen(
            self.argv(), cwd=self.root, stdout=log, stderr=subprocess.STDOUT, env=self._env(extra_env or {})
        )
        self.wait_ready(timeout)
        return self

    def probe_url(self, probe: str = "readinessProbe") -> str:
        """The URL of the container's HTTP probe."""
        get = self.container[probe]["httpGet"]
        cp = container_port(self.container, get["port"])
        assert cp is not None
        return f"http://127.0.0.1:{self.ports[cp['containerPort']]}{get['path']}"

    def url(self, port_name: str) -> str:
        """``http://127.0.0.1:<local port>`` of the named container port."""
        cp = container_port(self.container, port_name)
        assert cp is not None
        return f"http://127.0.0.1:{self.ports[cp['containerPort']]}"

    def port(self, port_name: str) -> int:
        """The local port of the named container port (also its hostPort)."""
        cp = container_port(self.container, port_name)
        assert cp is not None
        return self.ports[cp["containerPort"]]

    def wait_ready(self, timeout: float) -> None:
        """Poll the readiness probe until 200."""
        url = self.probe_url()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(url, timeout=1) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        raise TimeoutError(f"{self.name} not ready in {timeout}s:\n{self.log_tail()}")

    def log_tail(self, n: int = 60) -> str:
        """The last lines of the container's output."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL: what a node or OOM kill looks like."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def terminate(self) -> int:
        """SIGTERM, waiting at most the pod's terminationGracePeriodSeconds, as the kubelet does."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            grace = pod_spec(self.workload).get("terminationGracePeriodSeconds", 30)
            try:
                return self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.kill()
                return -9
        return self.proc.returncode
