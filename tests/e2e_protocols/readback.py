"""Read a trace back through the Tempo API of the real server and index its spans for comparison."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from prometheus_client.parser import text_string_to_metric_families

from tempo_py.testing.tempo_api import decode_trace_response
from tests.support.server import TempoServer


def value_of(v: AnyValue) -> object:
    """Python value of an AnyValue (arrays as lists)."""
    which = v.WhichOneof("value")
    if which == "array_value":
        return [value_of(x) for x in v.array_value.values]
    return getattr(v, which) if which else None


def attrs(kvs: Iterable[KeyValue]) -> dict[str, object]:
    """Attribute list as a dict."""
    return {kv.key: value_of(kv.value) for kv in kvs}


@dataclass(frozen=True)
class ReadSpan:
    """A span as the API returned it, with its resource attributes and scope name."""

    resource: dict[str, object]
    scope: str
    span: Span

    @property
    def attrs(self) -> dict[str, object]:
        """The span's attributes."""
        return attrs(self.span.attributes)


def read_trace(
    srv: TempoServer,
    trace_id: str,
    *,
    min_spans: int,
    version: int = 2,
    protobuf: bool = False,
    timeout: float = 20.0,
) -> list[ReadSpan]:
    """Poll GET trace-by-ID until it holds ``min_spans`` spans (UDP senders have no ack to wait on)."""
    deadline = time.monotonic() + timeout
    last = "never answered"
    while True:
        status, body = srv.get_trace(trace_id, version=version, protobuf=protobuf)
        if status == 200:
            spans = [
                ReadSpan(attrs(rs.resource.attributes), ss.scope.name, span)
                for rs in decode_trace_response(body, version=version, protobuf=protobuf)
                for ss in rs.scope_spans
                for span in ss.spans
            ]
            if len(spans) >= min_spans:
                return spans
            last = f"{len(spans)} spans"
        else:
            last = f"HTTP {status}: {body[:200]!r}"
        if time.monotonic() > deadline:
            raise AssertionError(f"trace {trace_id}: wanted {min_spans} spans within {timeout}s, last {last}")
        time.sleep(0.05)


def by_name(spans: list[ReadSpan]) -> dict[str, ReadSpan]:
    """Spans keyed by name; the tests give every span a unique name."""
    out = {s.span.name: s for s in spans}
    assert len(out) == len(spans), f"duplicate span names: {[s.span.name for s in spans]}"
    return out


def metric_samples(srv: TempoServer, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Every sample of metric ``name`` on /metrics, keyed by its sorted labels."""
    with urllib.request.urlopen(srv.url + "/metrics", timeout=10) as r:
        text = r.read().decode()
    out: dict[tuple[tuple[str, str], ...], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                out[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def dropped(srv: TempoServer) -> dict[tuple[str, str], float]:
    """``tempo_receiver_payloads_dropped_total`` as {(protocol, reason): count}."""
    return {
        (dict(k)["protocol"], dict(k)["reason"]): v
        for k, v in metric_samples(srv, "tempo_receiver_payloads_dropped_total").items()
    }
