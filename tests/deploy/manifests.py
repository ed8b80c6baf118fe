"""Rendered manifests for the deploy tests: ``kubectl kustomize`` of each overlay, and lookups."""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
KUSTOMIZE = ROOT / "deploy" / "kubernetes"
OVERLAYS = sorted(p.name for p in (KUSTOMIZE / "overlays").iterdir() if (p / "kustomization.yaml").exists())
#: Kinds that run pods (Deployment: for the microservices overlay, which waits for scale-out).
POD_KINDS = ("StatefulSet", "DaemonSet", "Deployment")


def kubectl() -> str:
    """The kubectl binary (on the machine; the tests install nothing from outside the registries)."""
    found = shutil.which("kubectl")
    if found is None:
        raise RuntimeError("kubectl is not on PATH")
    return found


@functools.cache
def render(overlay: str) -> tuple[dict[str, Any], ...]:
    """Every object ``kubectl kustomize`` renders for ``overlay`` (cached: overlays are static)."""
    out = subprocess.run(
        [kubectl(), "kustomize", str(KUSTOMIZE / "overlays" / overlay)],
        check=True,
        capture_output=True,
        timeout=120,
    ).stdout
    return tuple(d for d in yaml.safe_load_all(out) if d)


def find(docs: tuple[dict[str, Any], ...], kind: str, name: str | None = None) -> list[dict[str, Any]]:
    """Objects of ``kind`` (and ``name``)."""
    return [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]


def one(docs: tuple[dict[str, Any], ...], kind: str, name: str) -> dict[str, Any]:
    """The one object of ``kind`` named ``name``."""
    found = find(docs, kind, name)
    assert len(found) == 1, f"{kind}/{name}: {len(found)} objects"
    return found[0]


def workloads(docs: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    """The objects that run pods."""
    return [d for d in docs if d["kind"] in POD_KINDS]


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    """The pod template's spec."""
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def labels_match(selector: dict[str, str], labels: dict[str, str]) -> bool:
    """Whether every selector pair is among ``labels``."""
    return all(labels.get(k) == v for k, v in selector.items())


def container_port(container: dict[str, Any], ref: int | str) -> dict[str, Any] | None:
    """The container's port named (str) or numbered (int) ``ref``."""
    for p in container.get("ports", []):
        if (isinstance(ref, str) and p.get("name") == ref) or p["containerPort"] == ref:
            return dict(p)
    return None


def mounted_files(
    docs: tuple[dict[str, Any], ...], workload: dict[str, Any], container: dict[str, Any]
) -> dict[str, str]:
    """``{path in the container: text}`` of every ConfigMap file the container mounts."""
    volumes = {v["name"]: v for v in pod_spec(workload).get("volumes", [])}
    files: dict[str, str] = {}
    for mount in container.get("volumeMounts", []):
        vol = volumes.get(mount["name"], {})  # absent: a volumeClaimTemplate
        if "configMap" in vol:
            cm = one(docs, "ConfigMap", vol["configMap"]["name"])
            for key, text in cm.get("data", {}).items():
                files[f"{mount['mountPath'].rstrip('/')}/{key}"] = text
    return files
