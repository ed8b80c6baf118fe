"""Kubernetes resource attributes the agent knows without asking the API server.

``k8s.cluster.name`` comes from config; ``k8s.node.name`` from config (in the DaemonSet, the
Downward API's ``spec.nodeName`` through an env variable expanded in the config file); the pod
attributes too, for an agent running as a sidecar, where its pod is the application's. An
attribute a span's resource already has is kept: the application knows better.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue


@dataclass(frozen=True)
class K8sAttributes:
    """Values to add; an empty one is not added."""

    cluster_name: str
    node_name: str
    pod_name: str
    namespace_name: str
    pod_uid: str

    def as_dict(self) -> dict[str, str]:
        """The non-empty attributes by their OpenTelemetry semantic-convention key."""
        pairs = {
            "k8s.cluster.name": self.cluster_name,
            "k8s.node.name": self.node_name,
            "k8s.pod.name": self.pod_name,
            "k8s.namespace.name": self.namespace_name,
            "k8s.pod.uid": self.pod_uid,
        }
        return {k: v for k, v in pairs.items() if v}


def add_resource_attributes(request: ExportTraceServiceRequest, attrs: Mapping[str, str]) -> None:
    """Add each of ``attrs`` to every resource of ``request`` that lacks the key (in place)."""
    if not attrs:
        return
    for rs in request.resource_spans:
        have = {kv.key for kv in rs.resource.attributes}
        for key, value in attrs.items():
            if key not in have:
                rs.resource.attributes.append(KeyValue(key=key, value=AnyValue(string_value=value)))
