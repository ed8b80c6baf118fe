"""Every overlay renders, every object is valid Kubernetes, and the pieces agree with each other.

Schema validation is kubernetes-validate (strict: unknown fields fail) for the newest Kubernetes
it knows. The rest is what a schema cannot see: Services point at container ports that exist,
probes use declared ports, each ConfigMap parses with the loader of the program that mounts it,
receivers listen on the ports the pod declares, targets named exist, volumes hold the data paths.
"""

from __future__ import annotations

import tempfile
import typing
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from tempo_py.config import Config, load_config
from tempo_py.config.agent import AgentConfig, load_agent_config
from tempo_py.config.receivers import endpoint_host_port
from tempo_py.config.schema import Target
from tests.deploy.manifests import (
    OVERLAYS,
    container_port,
    find,
    labels_match,
    mounted_files,
    one,
    pod_spec,
    render,
    workloads,
)

UDP_RECEIVERS = {"jaeger.thrift_compact", "jaeger.thrift_binary", "xray"}
K8S_VERSION = kubernetes_validate.latest_version()


def test_the_overlays_are_the_ones_documented() -> None:
    # microservices waits for the scale-out issue (docs/kubernetes.md says so).
    assert OVERLAYS == ["agent", "single-binary", "single-binary-s3"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_is_valid_kubernetes(overlay: str) -> None:
    docs = render(overlay)
    assert docs
    for doc in docs:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == "tempo-py", (doc["kind"], doc["metadata"]["name"])


def _containers(overlay: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(w, c) for w in workloads(render(overlay)) for c in pod_spec(w)["containers"]]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_target_ports_that_exist(overlay: str) -> None:
    docs = render(overlay)
    for svc in find(docs, "Service"):
        backing = [
            (w, c)
            for w, c in _containers(overlay)
            if labels_match(svc["spec"]["selector"], w["spec"]["template"]["metadata"]["labels"])
        ]
        assert backing, f"Service {svc['metadata']['name']} selects no pod"
        for p in svc["spec"]["ports"]:
            target = p.get("targetPort", p["port"])
            for _, c in backing:
                cp = container_port(c, target)
                assert cp is not None, f"{svc['metadata']['name']}: no container port {target}"
                assert cp.get("protocol", "TCP") == p.get("protocol", "TCP"), (
                    svc["metadata"]["name"],
                    target,
                )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_workload_selectors_pdbs_probes_and_resources(overlay: str) -> None:
    docs = render(overlay)
    for w in workloads(docs):
        labels = w["spec"]["template"]["metadata"]["labels"]
        assert labels_match(w["spec"]["selector"]["matchLabels"], labels)
        for c in pod_spec(w)["containers"]:
            assert c["resources"]["requests"]["cpu"] and c["resources"]["requests"]["memory"]
            for probe in ("readinessProbe", "livenessProbe"):
                get = c[probe]["httpGet"]
                assert container_port(c, get["port"]) is not None, (c["name"], probe)
                assert get["path"].startswith("/")
        if w["kind"] == "StatefulSet":
            assert find(docs, "Service", w["spec"]["serviceName"]), "governing Service"
    for pdb in find(docs, "PodDisruptionBudget"):
        sel = pdb["spec"]["selector"]["matchLabels"]
        assert any(labels_match(sel, w["spec"]["template"]["metadata"]["labels"]) for w in workloads(docs))


def _env_of(container: dict[str, Any]) -> dict[str, str]:
    env = {}
    for e in container.get("env", []):
        env[e["name"]] = e.get("value", "from-the-downward-api")
    return env


def _loaded(overlay: str) -> list[tuple[dict[str, Any], dict[str, Any], Config | AgentConfig]]:
    """(workload, container, its config parsed by its own loader) for every tempo-py container."""
    out: list[tuple[dict[str, Any], dict[str, Any], Config | AgentConfig]] = []
    docs = render(overlay)
    for w, c in _containers(overlay):
        assert c["command"] == ["tempo-py"]
        args = c["args"]
        files = mounted_files(docs, w, c)
        path = args[args.index("--config") + 1]
        assert path in files, f"{c['name']}: --config {path} is not a mounted ConfigMap file"
        text = files[path]
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d) / "config.yaml"
            tmp.write_text(text)
            cfg: Config | AgentConfig
            if args[0] == "serve":
                cfg = load_config(tmp, env=_env_of(c))
            else:
                assert args[0] == "agent"
                cfg = load_agent_config(tmp, env=_env_of(c))
        out.append((w, c, cfg))
    return out


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_configmaps_parse_with_tempo_pys_own_loaders(overlay: str) -> None:
    assert _loaded(overlay)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_targets_named_exist(overlay: str) -> None:
    valid = set(typing.get_args(Target))
    for _, c, cfg in _loaded(overlay):
        args = c["args"]
        if "--target" in args:
            assert args[args.index("--target") + 1] in valid
        if isinstance(cfg, Config):
            assert cfg.target in valid


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_receivers_listen_on_declared_ports(overlay: str) -> None:
    for _, c, cfg in _loaded(overlay):
        if isinstance(cfg, Config):
            receivers, http_port = cfg.distributor.receivers, cfg.server.http_listen_port
        else:
            receivers, http_port = cfg.receivers, cfg.server.http_listen_port
        assert container_port(c, "http") == {"name": "http", "containerPort": http_port, "protocol": "TCP"}
        declared = {(p["containerPort"], p["protocol"]) for p in c["ports"]}
        listened = {(http_port, "TCP")}
        for name, endpoint in receivers.enabled().items():
            host, port = endpoint_host_port(endpoint)
            assert host == "0.0.0.0", f"{name} must listen on the pod's interfaces"
            listened.add((port, "UDP" if name in UDP_RECEIVERS else "TCP"))
        assert listened == declared


def test_single_binary_keeps_wal_and_blocks_on_its_volume() -> None:
    for overlay in ("single-binary", "single-binary-s3"):
        ((w, c, cfg),) = _loaded(overlay)
        assert isinstance(cfg, Config)
        claims = {t["metadata"]["name"] for t in w["spec"]["volumeClaimTemplates"]}
        mounts = {m["mountPath"] for m in c["volumeMounts"] if m["name"] in claims}
        paths = [cfg.storage.trace.wal.path]
        if cfg.storage.trace.backend == "local":
            paths.append(cfg.storage.trace.local.path)
        for path in paths:
            assert any(path.startswith(m + "/") for m in mounts), path
        # SIGTERM flushes every ingester: the kubelet must wait for it.
        assert pod_spec(w)["terminationGracePeriodSeconds"] >= 120
        assert w["spec"]["replicas"] == 1
    ((_, c, cfg),) = _loaded("single-binary-s3")
    assert isinstance(cfg, Config) and cfg.storage.trace.backend == "s3"
    assert c["envFrom"] == [{"secretRef": {"name": "tempo-py-s3", "optional": True}}]


def test_agent_host_ports_and_forward_target() -> None:
    ((w, c, cfg),) = _loaded("agent")
    assert isinstance(cfg, AgentConfig)
    host_ports = {(p["hostPort"], p["protocol"]) for p in c["ports"] if "hostPort" in p}
    for wanted in ((6831, "UDP"), (6832, "UDP"), (2000, "UDP"), (4317, "TCP"), (4318, "TCP"), (9411, "TCP")):
        assert wanted in host_ports
    assert all(p["hostPort"] == p["containerPort"] for p in c["ports"] if "hostPort" in p)
    env = {e["name"]: e for e in c["env"]}
    assert env["K8S_NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"
    assert cfg.kubernetes.node_name == "from-the-downward-api"
    # The queue is on the node, so it outlives the pod (a DaemonSet update replaces every pod).
    volumes = {v["name"]: v for v in pod_spec(w)["volumes"]}
    queue_mount = next(m for m in c["volumeMounts"] if cfg.queue.path.startswith(m["mountPath"] + "/"))
    assert "hostPath" in volumes[queue_mount["name"]]
    # forward.endpoint names the single binary's Service and its OTLP gRPC port.
    host, port = endpoint_host_port(cfg.forward.endpoint)
    sb = render("single-binary")
    svc = one(sb, "Service", host)
    target = next(p["targetPort"] for p in svc["spec"]["ports"] if p["port"] == port)
    ((_, sb_container, sb_cfg),) = _loaded("single-binary")
    assert isinstance(sb_cfg, Config)
    grpc = sb_cfg.distributor.receivers.otlp
    assert grpc is not None and grpc.protocols.grpc is not None
    cp = container_port(sb_container, target)
    assert cp is not None and cp["containerPort"] == endpoint_host_port(grpc.protocols.grpc.endpoint)[1]
    assert w["metadata"]["namespace"] == svc["metadata"]["namespace"]


def test_pods_run_as_the_images_user() -> None:
    from tests.deploy.test_dockerfile import image_uid

    for overlay in OVERLAYS:
        for w in workloads(render(overlay)):
            assert pod_spec(w)["securityContext"]["runAsUser"] == image_uid()
