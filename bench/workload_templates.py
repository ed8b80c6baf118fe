"""Compile the workload topology into pre-encoded protobuf templates.

Per operation everything that does not change from span to span is encoded once here: the name and
kind fields, constant attributes for the OK and the ERROR variant, the per-span attribute keys, the
instrumentation scope per calling service, and per language the exception event and status of a
failing span. Per seed the deployment is fixed too: a few pod replicas per service spread over k8s
nodes, each pod one OTLP `Resource`.
"""

from __future__ import annotations

import math
import random
import zlib
from dataclasses import dataclass

from bench import workload_wire as wire
from bench.workload_topology import (
    OPERATIONS,
    SCOPES,
    SDK_VERSION,
    SERVICES,
    SPAN_KIND,
    Call,
    Count,
    Operation,
    SpanType,
)

STATUS_ERROR = wire.STATUS_CODE_ERROR
_SERVER_TYPES = (SpanType.HTTP_SERVER, SpanType.GRPC_SERVER)
# Spans that can be where an error starts: I/O and handlers, not pure wrappers like client spans.
_ORIGIN_TYPES = (
    SpanType.DB,
    SpanType.CACHE,
    SpanType.HTTP_CLIENT,
    SpanType.HTTP_SERVER,
    SpanType.GRPC_SERVER,
    SpanType.INTERNAL,
    SpanType.CONSUMER,
)


@dataclass(slots=True)
class ErrorTemplate:
    """How a span of one operation fails in one language: status field and exception event body."""

    status: bytes
    event_tail: bytes


@dataclass(slots=True)
class CallPlan:
    """A compiled `Call`: resolved targets and the repeat distribution."""

    targets: list[OpTemplate]
    prob: float
    count: Count
    parallel: bool
    fresh: tuple[str, ...]


@dataclass(slots=True)
class OpTemplate:
    """Everything the generator needs to emit one operation's span quickly."""

    key: str
    type: SpanType
    service: int  # index into SERVICES, or -1 when the span runs in its caller's service
    name: str
    head: bytes  # encoded name + kind fields
    ok_attrs: bytes
    err_attrs: bytes
    dynamic: list[wire.StringAttr | wire.IntAttr]
    mu_ns: float  # log of the median self time in ns
    sigma: float
    calls: list[CallPlan]
    client: OpTemplate | None  # CLIENT span a caller emits around this SERVER span
    scope_by_service: list[int]
    errors: list[ErrorTemplate]  # indexed by the service the span runs in
    propagated_status: bytes
    can_originate_error: bool
    event_tail: bytes  # a rare non-error event, b"" when the operation has none


@dataclass(slots=True)
class Pod:
    """One service replica; its index in the pod list is its resource index."""

    service: int
    name: str
    resource_field: bytes  # `ResourceSpans.resource` field, tag included


class ScopeTable:
    """Interns instrumentation scopes; the index identifies a `ScopeSpans` group."""

    def __init__(self) -> None:
        self.names: list[tuple[str, str]] = []
        self.fields: list[bytes] = []
        self._index: dict[tuple[str, str], int] = {}

    def intern(self, name: str, version: str) -> int:
        """Return the index of scope (name, version), adding it on first use."""
        key = (name, version)
        idx = self._index.get(key)
        if idx is None:
            idx = len(self.names)
            self._index[key] = idx
            self.names.append(key)
            self.fields.append(wire.len_field(1, wire.instrumentation_scope(name, version)))
        return idx


def _scope_key(op: Operation) -> str:
    if op.type in (SpanType.GRPC_SERVER, SpanType.GRPC_CLIENT):
        return "grpc"
    if op.type is SpanType.HTTP_SERVER:
        return "http_server"
    if op.type is SpanType.HTTP_CLIENT:
        return "http_client"
    return op.system


def _status_attrs(op: Operation, failed: bool) -> dict[str, wire.AttrValue]:
    if op.type in (SpanType.HTTP_SERVER, SpanType.HTTP_CLIENT):
        code = (503 if op.type is SpanType.HTTP_CLIENT and op.service is None else 500) if failed else 200
        return (
            {"http.response.status_code": code, "error.type": str(code)}
            if failed
            else {"http.response.status_code": code}
        )
    if op.type in (SpanType.GRPC_SERVER, SpanType.GRPC_CLIENT):
        return {"rpc.grpc.status_code": 13 if failed else 0}
    return {}


_EXCEPTIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("python", "postgresql"): (
        "psycopg2.errors.QueryCanceled",
        "canceling statement due to statement timeout",
    ),
    ("python", "mysql"): (
        "pymysql.err.OperationalError",
        "(2013, 'Lost connection to MySQL server during query')",
    ),
    ("python", "redis"): ("redis.exceptions.TimeoutError", "Timeout reading from socket"),
    ("python", "http_client"): (
        "requests.exceptions.ReadTimeout",
        "HTTPSConnectionPool: Read timed out. (10s)",
    ),
    ("python", ""): ("KeyError", "'shipping_address'"),
    ("go", "postgresql"): ("*pq.Error", "pq: canceling statement due to statement timeout"),
    ("go", "mongodb"): ("mongo.CommandError", "connection pool for mongodb:27017 was cleared"),
    ("go", "redis"): ("*net.OpError", "read tcp 10.0.3.17:48012->10.0.9.4:6379: i/o timeout"),
    ("go", ""): ("*errors.errorString", "runtime error: invalid memory address or nil pointer dereference"),
    ("java", "mysql"): (
        "java.sql.SQLTransientConnectionException",
        "HikariPool-1 - Connection is not available, request timed out after 30000ms.",
    ),
    ("java", "postgresql"): ("org.postgresql.util.PSQLException", "ERROR: deadlock detected"),
    ("java", ""): (
        "java.lang.NullPointerException",
        'Cannot invoke "Item.getPrice()" because "item" is null',
    ),
    ("nodejs", "postgresql"): ("Error", "Connection terminated unexpectedly"),
    ("nodejs", "http_client"): ("Error", "connect ETIMEDOUT 52.84.150.39:443"),
    ("nodejs", ""): ("TypeError", "Cannot read properties of undefined (reading 'amount')"),
}


def _exception(language: str, op: Operation) -> tuple[str, str]:
    key = op.system or ("http_client" if op.type is SpanType.HTTP_CLIENT else "")
    return _EXCEPTIONS.get((language, key)) or _EXCEPTIONS[(language, "")]


def _stacktrace(language: str, op: Operation, service: str, exc_type: str, message: str) -> str:
    """A plausible multi-line stack trace in the language's own format; line numbers are stable."""
    line = 20 + zlib.crc32(op.key.encode()) % 400
    func = op.key.split(".")[-1]
    mod = service.replace("-", "_")
    if language == "python":
        return (
            "Traceback (most recent call last):\n"
            f'  File "/app/{mod}/server.py", line 88, in dispatch\n    return handler(request)\n'
            f'  File "/app/{mod}/handlers.py", line {line}, in {func}\n'
            f"    result = self.backend.{func}(req)\n"
            f'  File "/app/{mod}/backend.py", line {line // 2 + 7}, in {func}\n    raise\n'
            f"{exc_type}: {message}\n"
        )
    if language == "java":
        cls = "".join(p.capitalize() for p in mod.split("_")) + "Service"
        return (
            f"{exc_type}: {message}\n"
            f"\tat com.example.shop.{mod}.{cls}.{func}({cls}.java:{line})\n"
            f"\tat com.example.shop.{mod}.{cls}Grpc$MethodHandlers.invoke({cls}Grpc.java:{line // 3 + 40})\n"
            "\tat io.grpc.stub.ServerCalls$UnaryServerCallHandler$UnaryServerCallListener.onHalfClose"
            "(ServerCalls.java:182)\n"
            "\tat java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1144)\n"
            "\tat java.base/java.lang.Thread.run(Thread.java:1583)\n"
        )
    if language == "go":
        return (
            f"goroutine {line} [running]:\n"
            f"main.(*{mod}Server).{func.capitalize()}(0xc0001a2000, {{0x1a2b3c0, 0xc000412300}})\n"
            f"\t/src/{mod}/main.go:{line} +0x1d4\n"
            "google.golang.org/grpc.(*Server).processUnaryRPC(0xc0000e4000, {0x1a2c010, 0xc0003f6000})\n"
            "\t/go/pkg/mod/google.golang.org/grpc@v1.64.0/server.go:1379 +0xdf8\n"
        )
    return (
        f"{exc_type}: {message}\n"
        f"    at {func} (/app/src/{mod}/index.js:{line}:21)\n"
        f"    at async handle (/app/src/{mod}/server.js:{line // 2 + 11}:5)\n"
        "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)\n"
    )


def _error_template(language: str, op: Operation, service: str) -> ErrorTemplate:
    exc_type, message = _exception(language, op)
    event = wire.event_tail(
        "exception",
        {
            "exception.type": exc_type,
            "exception.message": message,
            "exception.stacktrace": _stacktrace(language, op, service, exc_type, message),
        },
    )
    return ErrorTemplate(wire.status(STATUS_ERROR, message), event)


def _event_tail(op: Operation) -> bytes:
    if op.type in (SpanType.GRPC_SERVER, SpanType.GRPC_CLIENT):
        size = 64 + zlib.crc32(op.key.encode()) % 900
        kind = "RECEIVED" if op.type is SpanType.GRPC_SERVER else "SENT"
        return wire.event_tail(
            "message", {"message.type": kind, "message.id": 1, "message.uncompressed_size": size}
        )
    if op.type is SpanType.HTTP_CLIENT:
        return wire.event_tail("http.request.retry", {"http.request.resend_count": 1})
    if op.type is SpanType.INTERNAL:
        return wire.event_tail("checkpoint", {"app.step": op.name})
    return b""


def _client_for(server: Operation) -> Operation:
    """The CLIENT span a caller records around a call to `server`."""
    svc = next(s for s in SERVICES if s.name == server.service)
    base: dict[str, wire.AttrValue] = {"server.address": svc.name, "server.port": svc.port}
    if server.type is SpanType.GRPC_SERVER:
        attrs = {k: v for k, v in server.attrs.items() if k.startswith("rpc.")} | base
        return Operation(server.key + ":client", SpanType.GRPC_CLIENT, server.name, None, 0.4, 0.5, attrs)
    method = str(server.attrs["http.request.method"])
    attrs = {"http.request.method": method} | base | {"network.protocol.version": "1.1"}
    url = f"http://{svc.name}:{svc.port}{server.dynamic['url.path']}"
    return Operation(
        server.key + ":client", SpanType.HTTP_CLIENT, method, None, 0.4, 0.5, attrs, {"url.full": url}
    )


# Context keys holding ints (see bench.workload._DRAWERS): a template that is just "{key}" for one of
# them becomes an int attribute, as real instrumentation records IDs, counts and offsets.
_INT_CONTEXT_KEYS = frozenset({"user", "order", "product", "qty", "cents", "offset"})


def _dynamic_attr(key: str, template: str) -> wire.StringAttr | wire.IntAttr:
    name = template[1:-1]
    if template.startswith("{") and template.endswith("}") and name in _INT_CONTEXT_KEYS:
        return wire.IntAttr(wire.SPAN_ATTRIBUTES, key, name)
    return wire.StringAttr(wire.SPAN_ATTRIBUTES, key, template)


def _compile_op(op: Operation, scopes: ScopeTable, service_index: dict[str, int]) -> OpTemplate:
    svc = service_index[op.service] if op.service else -1
    scope_by_service: list[int] = []
    for s in SERVICES:
        if op.type is SpanType.INTERNAL:
            # Business-logic spans come from the service's own tracer, named after the service.
            scope_by_service.append(scopes.intern(f"shop.{s.name}", s.version))
        else:
            scope_by_service.append(scopes.intern(*SCOPES[s.language][_scope_key(op)]))
    errors = [_error_template(s.language, op, s.name) for s in SERVICES]
    propagated = "INTERNAL" if op.type in (SpanType.GRPC_SERVER, SpanType.GRPC_CLIENT) else ""
    return OpTemplate(
        key=op.key,
        type=op.type,
        service=svc,
        name=op.name,
        head=wire.len_field(wire.SPAN_NAME, op.name.encode())
        + wire.varint_field(wire.SPAN_KIND, SPAN_KIND[op.type]),
        ok_attrs=wire.attributes(wire.SPAN_ATTRIBUTES, op.attrs | _status_attrs(op, False)),
        err_attrs=wire.attributes(wire.SPAN_ATTRIBUTES, op.attrs | _status_attrs(op, True)),
        dynamic=[_dynamic_attr(k, t) for k, t in op.dynamic.items()],
        mu_ns=math.log(op.median_ms * 1e6),
        sigma=op.sigma,
        calls=[],
        client=None,
        scope_by_service=scope_by_service,
        errors=errors,
        propagated_status=wire.status(STATUS_ERROR, propagated),
        can_originate_error=op.type in _ORIGIN_TYPES,
        event_tail=_event_tail(op),
    )


def compile_operations(scopes: ScopeTable) -> dict[str, OpTemplate]:
    """Compile every operation (and a CLIENT companion for each server operation); resolve calls."""
    service_index = {s.name: i for i, s in enumerate(SERVICES)}
    ops = {op.key: _compile_op(op, scopes, service_index) for op in OPERATIONS}
    for op in OPERATIONS:
        if op.type in _SERVER_TYPES:
            ops[op.key].client = _compile_op(_client_for(op), scopes, service_index)
    for op in OPERATIONS:
        ops[op.key].calls = [_plan(call, ops) for call in op.calls]
    return ops


def _plan(call: Call, ops: dict[str, OpTemplate]) -> CallPlan:
    return CallPlan([ops[t] for t in call.targets], call.prob, call.count, call.parallel, call.fresh)


_NODE_COUNT = 6
_HASH_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def build_pods(seed: int, environment: str, cluster: str, region: str) -> list[Pod]:
    """Deploy 2-4 replicas per service on a handful of k8s nodes; stable for a given seed."""
    rng = random.Random(f"pods-{seed}")
    nodes = [
        (
            f"ip-10-0-{rng.randrange(1, 64)}-{rng.randrange(2, 255)}.{region}.compute.internal",
            f"{region}{'abc'[i % 3]}",
        )
        for i in range(_NODE_COUNT)
    ]
    pods: list[Pod] = []
    for idx, svc in enumerate(SERVICES):
        replica_set = "".join(rng.choice(_HASH_ALPHABET) for _ in range(10))
        for _ in range(rng.randint(2, 4)):
            pod_name = f"{svc.name}-{replica_set}-{''.join(rng.choice(_HASH_ALPHABET) for _ in range(5))}"
            node, zone = rng.choice(nodes)
            attrs: dict[str, wire.AttrValue] = {
                "service.name": svc.name,
                "service.namespace": "shop",
                "service.version": svc.version,
                "service.instance.id": pod_name,
                "deployment.environment.name": environment,
                "telemetry.sdk.name": "opentelemetry",
                "telemetry.sdk.language": svc.language,
                "telemetry.sdk.version": SDK_VERSION[svc.language],
                "k8s.cluster.name": cluster,
                "k8s.namespace.name": "shop",
                "k8s.deployment.name": svc.name,
                "k8s.pod.name": pod_name,
                "k8s.node.name": node,
                "host.name": pod_name,
                "cloud.provider": "aws",
                "cloud.platform": "aws_eks",
                "cloud.region": region,
                "cloud.availability_zone": zone,
            }
            pods.append(Pod(idx, pod_name, wire.len_field(1, wire.resource(attrs))))
    return pods
