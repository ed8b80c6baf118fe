"""Grafana Tempo's metric names, so Tempo's mixin dashboards and alerts work on tempo_py.

Three parts:

- :func:`request_metrics_middleware`: ``tempo_request_duration_seconds{method,route,status_code,ws}``
  and ``tempo_query_frontend_queries_total{tenant,op,result}`` for the HTTP API, with dskit's
  route names (the path template lower-cased, non-alphanumerics as ``_``: ``api_traces_traceid``);
- :class:`TimedStore`: ``tempodb_backend_request_duration_seconds{operation,status_code}`` around
  the object store, ``operation`` being the HTTP method the request is on S3 (GET, PUT, DELETE);
- :class:`TempoNames`: a collector re-exporting, under Tempo's names and labels, values tempo_py
  already counts under its own (``tempo_ingester_flush_failures_total`` is Tempo's
  ``tempo_ingester_failed_flushes_total``), plus ``tempodb_blocklist_length`` and
  ``tempo_limits_*`` read from the running process. It lives in a registry of its own
  (:data:`TEMPO_NAMES_REGISTRY`) that /metrics serves after the default one, because it reads the
  default registry to compute its values.
"""

from __future__ import annotations

import platform
import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from aiohttp import web
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from tempo_py import __version__
from tempo_py.block.blocklist import Blocklist
from tempo_py.config import Config
from tempo_py.metrics import BACKEND_REQUEST_DURATION, BUILD_INFO, QUERIES, REQUEST_DURATION
from tempo_py.storage.base import ObjectNotFound, ObjectStore

__all__ = [
    "TEMPO_NAMES_REGISTRY",
    "TempoNames",
    "TimedStore",
    "install_tempo_names",
    "request_metrics_middleware",
    "route_name",
    "set_build_info",
]

TEMPO_NAMES_REGISTRY = CollectorRegistry(auto_describe=False)

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_VARIABLE = re.compile(r"\{([^}:]*)[^}]*\}")


def route_name(template: str) -> str:
    """dskit's route label for a path template: ``/api/traces/{traceID}`` -> ``api_traces_traceid``.

    Tempo names its path variables in camel case (``{traceID}``, ``{tagName}``); ours are snake
    case, so a variable's underscores go first: ``{trace_id}`` gives Tempo's ``traceid`` too.
    """
    joined = _VARIABLE.sub(lambda m: m.group(1).replace("_", ""), template)
    return _NON_ALNUM.sub("_", joined.lower()).strip("_") or "root"


def _op(route: str) -> str | None:
    """Tempo's query-frontend ``op`` of a route (None: not a query)."""
    if "traces_" in route and route.startswith(("api_traces", "api_v2_traces")):
        return "traces"
    if route in ("api_search", "api_v2_search"):
        return "search"
    if route.startswith(("api_search_tag", "api_v2_search_tag")):
        return "metadata"
    if route.startswith("api_metrics"):
        return "metrics"
    return None


@web.middleware
async def request_metrics_middleware(
    request: web.Request, handler: Callable[[web.Request], Any]
) -> web.StreamResponse:
    """Time every request of the API app under its route's name."""
    t0 = time.perf_counter()
    resource = request.match_info.route.resource
    route = route_name(resource.canonical) if resource is not None else "other"
    status = 500
    result = "completed"
    try:
        response: web.StreamResponse = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    except BaseException as exc:
        if type(exc).__name__ == "CancelledError":
            result = "canceled"
        raise
    finally:
        REQUEST_DURATION.labels(request.method, route, str(status), "false").observe(time.perf_counter() - t0)
        op = _op(route)
        if op is not None:
            tenant = request.headers.get("X-Scope-OrgID", "single-tenant") or "single-tenant"
            QUERIES.labels(tenant[:64], op, result).inc()


def set_build_info() -> None:
    """``tempo_build_info`` = 1 with this build's labels (goversion: the Python version)."""
    BUILD_INFO.labels(__version__, "", "", f"python{platform.python_version()}").set(1)


_METHOD = {
    "get": "GET",
    "get_range": "GET",
    "list": "GET",
    "put": "PUT",
    "put_if_absent": "PUT",
    "delete": "DELETE",
}


class TimedStore:
    """Delegates to ``inner``; times every call into ``tempodb_backend_request_duration_seconds``.

    ``status_code`` is "200", "404" for a missing object, "500" for any other failure.
    """

    def __init__(self, inner: ObjectStore) -> None:
        self.inner = inner

    async def _timed(self, operation: str, call: Any) -> Any:
        t0 = time.perf_counter()
        code = "500"
        try:
            result = await call
            code = "200"
            return result
        except ObjectNotFound:
            code = "404"
            raise
        finally:
            BACKEND_REQUEST_DURATION.labels(_METHOD[operation], code).observe(time.perf_counter() - t0)

    async def get(self, key: str) -> bytes:
        """Timed :meth:`ObjectStore.get`."""
        data: bytes = await self._timed("get", self.inner.get(key))
        return data

    async def get_range(self, key: str, offset: int, length: int) -> bytes:
        """Timed :meth:`ObjectStore.get_range`."""
        data: bytes = await self._timed("get_range", self.inner.get_range(key, offset, length))
        return data

    async def put(self, key: str, data: bytes) -> None:
        """Timed :meth:`ObjectStore.put`."""
        await self._timed("put", self.inner.put(key, data))

    async def put_if_absent(self, key: str, data: bytes) -> bool:
        """Timed :meth:`ObjectStore.put_if_absent`."""
        created: bool = await self._timed("put_if_absent", self.inner.put_if_absent(key, data))
        return created

    async def delete(self, key: str) -> None:
        """Timed :meth:`ObjectStore.delete`."""
        await self._timed("delete", self.inner.delete(key))

    async def list(self, prefix: str) -> list[str]:
        """Timed :meth:`ObjectStore.list`."""
        keys: list[str] = await self._timed("list", self.inner.list(prefix))
        return keys

    async def close(self) -> None:
        """Close the wrapped store."""
        await self.inner.close()


# (Tempo's name, type, tempo_py's sample name, label renames {ours: Tempo's})
_ALIASES: tuple[tuple[str, str, str, dict[str, str]], ...] = (
    ("tempo_ingester_failed_flushes_total", "counter", "tempo_ingester_flush_failures_total", {}),
    ("tempodb_compaction_blocks_total", "counter", "tempo_compactor_blocks_compacted_total", {}),
    ("tempodb_compaction_bytes_written_total", "counter", "tempo_compactor_bytes_out_total", {}),
    ("tempodb_compaction_errors_total", "counter", "tempo_compactor_job_failures_total", {}),
    ("tempodb_compaction_outstanding_blocks", "gauge", "tempo_compactor_outstanding_blocks", {}),
)


def _samples(registry: CollectorRegistry) -> dict[str, list[tuple[dict[str, str], float]]]:
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in registry.collect():
        for s in family.samples:
            out.setdefault(s.name, []).append((dict(s.labels), s.value))
    return out


class TempoNames(Collector):
    """Tempo-named series derived from tempo_py's own metrics and the running process."""

    def __init__(
        self,
        cfg: Config,
        blocklist: Blocklist | None,
        source: CollectorRegistry = REGISTRY,
    ) -> None:
        self.cfg = cfg
        self.blocklist = blocklist
        self.source = source

    def collect(self) -> Iterable[Metric]:
        samples = _samples(self.source)
        for name, kind, ours, renames in _ALIASES:
            yield self._family(name, kind, f"{ours} under Tempo's name.", samples.get(ours, []), renames)
        yield from self._receiver_spans(samples)
        yield from self._retention(samples)
        yield from self._blocklist()
        yield from self._limits()

    @staticmethod
    def _family(
        name: str, kind: str, doc: str, rows: list[tuple[dict[str, str], float]], renames: dict[str, str]
    ) -> Metric:
        metric = Metric(name, doc, kind)
        for labels, value in rows:
            metric.add_sample(name, {renames.get(k, k): v for k, v in labels.items()}, value)
        return metric

    @staticmethod
    def _receiver_spans(samples: dict[str, list[tuple[dict[str, str], float]]]) -> Iterator[Metric]:
        """The OpenTelemetry Collector's receiver counters Tempo exports, by receiver and transport.

        Accepted = spans made durable; refused = spans the distributor turned away (every reason).
        """
        for tempo_name, ours in (
            ("tempo_receiver_accepted_spans", "tempo_distributor_spans_received_total"),
            ("tempo_receiver_refused_spans", "tempo_distributor_spans_refused_total"),
        ):
            totals: dict[tuple[str, str, str], float] = {}
            for labels, value in samples.get(ours, []):
                receiver, _, transport = labels.get("protocol", "").partition("_")
                key = (labels.get("tenant", ""), receiver, transport or receiver)
                totals[key] = totals.get(key, 0.0) + value
            metric = Metric(
                tempo_name, f"Spans counted in {ours}, as the OTel receivers Tempo embeds.", "counter"
            )
            for (tenant, receiver, transport), value in sorted(totals.items()):
                metric.add_sample(
                    tempo_name, {"tenant": tenant, "receiver": receiver, "transport": transport}, value
                )
            yield metric

    @staticmethod
    def _retention(samples: dict[str, list[tuple[dict[str, str], float]]]) -> Iterator[Metric]:
        """Retention's deletions: ``marked_for_deletion`` = blocks past block_retention, ``deleted`` =
        every block retention deleted (those and compacted inputs past compacted_block_retention)."""
        rows = samples.get("tempo_compactor_blocks_deleted_total", [])
        expired = sum(v for labels, v in rows if labels.get("reason") == "retention")
        for name, value in (
            ("tempodb_retention_marked_for_deletion_total", expired),
            ("tempodb_retention_deleted_total", sum(v for _, v in rows)),
        ):
            metric = Metric(name, "tempo_compactor_blocks_deleted_total under Tempo's name.", "counter")
            metric.add_sample(name, {}, value)
            yield metric

    def _blocklist(self) -> Iterator[Metric]:
        metric = Metric("tempodb_blocklist_length", "Total number of blocks per tenant.", "gauge")
        if self.blocklist is not None:
            for tenant in self.blocklist.tenants():
                tb = self.blocklist._tenants.get(tenant)  # read-only peek at the in-memory list
                if tb is not None:
                    metric.add_sample("tempodb_blocklist_length", {"tenant": tenant}, float(len(tb.live)))
        yield metric

    def _limits(self) -> Iterator[Metric]:
        """The limits tempo_py has, as Tempo's ``tempo_limits_defaults`` / ``tempo_limits_overrides``."""
        defaults = Metric("tempo_limits_defaults", "Default resource limits.", "gauge")
        retention = (
            self.cfg.overrides.defaults.block_retention or self.cfg.compactor.compaction.block_retention
        )
        defaults.add_sample("tempo_limits_defaults", {"limit_name": "block_retention"}, retention)
        yield defaults
        overrides = Metric("tempo_limits_overrides", "Resource limit overrides applied to tenants.", "gauge")
        for tenant, o in sorted(self.cfg.overrides.per_tenant.items()):
            if o.block_retention > 0:
                overrides.add_sample(
                    "tempo_limits_overrides",
                    {"user": tenant, "limit_name": "block_retention"},
                    o.block_retention,
                )
        yield overrides


_installed: list[TempoNames] = []


def install_tempo_names(cfg: Config, blocklist: Blocklist | None) -> None:
    """Serve :class:`TempoNames` for this process (replacing an earlier App's) and set build info."""
    for old in _installed:
        TEMPO_NAMES_REGISTRY.unregister(old)
    _installed.clear()
    collector = TempoNames(cfg, blocklist)
    TEMPO_NAMES_REGISTRY.register(collector)
    _installed.append(collector)
    set_build_info()
