"""The fixed e-commerce system the workload generator simulates: services, operations, call graph.

Everything here is plain data; `bench.workload` compiles it into pre-encoded protobuf templates.

Operations are keyed by short ids ("catalog.get"). A `Call` from one operation to a server operation
of another service (HTTP or gRPC) makes the generator emit a CLIENT span in the caller and the SERVER
span in the callee as its child. Database, cache, producer, internal and external-HTTP operations
have no service of their own: they run inside whichever service calls them. Consumers are children
of the producer span that published the message.

Templates in `dynamic` attributes and names are `str.format_map` templates over a per-trace context
(`{user}`, `{product}`, `{order}`, ...); loops can redraw some keys per iteration (`Call.fresh`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from bench.workload_wire import AttrValue


class SpanType(enum.Enum):
    """What an operation's span represents; decides kind, scope and error behaviour."""

    HTTP_SERVER = "http_server"
    HTTP_CLIENT = "http_client"
    GRPC_SERVER = "grpc_server"
    GRPC_CLIENT = "grpc_client"
    DB = "db"
    CACHE = "cache"
    PRODUCER = "producer"
    CONSUMER = "consumer"
    INTERNAL = "internal"


# OTLP Span.SpanKind values.
KIND_INTERNAL, KIND_SERVER, KIND_CLIENT, KIND_PRODUCER, KIND_CONSUMER = 1, 2, 3, 4, 5

SPAN_KIND: dict[SpanType, int] = {
    SpanType.HTTP_SERVER: KIND_SERVER,
    SpanType.GRPC_SERVER: KIND_SERVER,
    SpanType.HTTP_CLIENT: KIND_CLIENT,
    SpanType.GRPC_CLIENT: KIND_CLIENT,
    SpanType.DB: KIND_CLIENT,
    SpanType.CACHE: KIND_CLIENT,
    SpanType.PRODUCER: KIND_PRODUCER,
    SpanType.CONSUMER: KIND_CONSUMER,
    SpanType.INTERNAL: KIND_INTERNAL,
}


@dataclass(frozen=True)
class Count:
    """How many times a call repeats: const n, uniform [a, b], or lognormal(median a, sigma b) capped."""

    kind: str = "const"
    a: float = 1
    b: float = 0
    cap: int = 100_000


ONCE = Count()


@dataclass(frozen=True)
class Call:
    """One step of an operation: call `targets` in order, `count` times, with probability `prob`."""

    targets: tuple[str, ...]
    prob: float = 1.0
    count: Count = ONCE
    parallel: bool = False
    fresh: tuple[str, ...] = ()


@dataclass(frozen=True)
class Service:
    """A deployed service: its language decides the SDK and instrumentation scopes."""

    name: str
    language: str
    version: str
    port: int


@dataclass(frozen=True)
class Operation:
    """One kind of span. `service` is None for operations that run inside their caller."""

    key: str
    type: SpanType
    name: str
    service: str | None
    median_ms: float
    sigma: float = 0.5
    attrs: dict[str, AttrValue] = field(default_factory=dict)
    dynamic: dict[str, str] = field(default_factory=dict)
    calls: tuple[Call, ...] = ()
    system: str = ""


def c(*targets: str, prob: float = 1.0, count: Count = ONCE, parallel: bool = False, fresh: str = "") -> Call:
    """Shorthand for building a `Call` in the tables below."""
    return Call(tuple(targets), prob, count, parallel, tuple(fresh.split()) if fresh else ())


SERVICES: tuple[Service, ...] = (
    Service("frontend", "nodejs", "2.3.1", 8080),
    Service("api-gateway", "go", "1.12.0", 8080),
    Service("auth", "go", "0.9.4", 7000),
    Service("user", "java", "3.2.0", 7001),
    Service("cart", "go", "1.8.2", 7070),
    Service("checkout", "go", "1.5.0", 5050),
    Service("payment", "nodejs", "0.14.3", 50051),
    Service("shipping", "python", "1.1.0", 50050),
    Service("inventory", "java", "2.0.7", 7002),
    Service("catalog", "go", "1.9.1", 3550),
    Service("search", "java", "4.1.0", 8081),
    Service("recommendation", "python", "0.22.0", 9001),
    Service("email", "python", "1.0.3", 8082),
    Service("notification", "python", "0.7.0", 8083),
    Service("ad", "java", "1.3.5", 9555),
)

_PORTS = {s.name: s.port for s in SERVICES}

SDK_VERSION = {"python": "1.24.0", "go": "1.27.0", "java": "1.38.0", "nodejs": "1.24.1"}

# Instrumentation scope (name, version) per language and span type / database system; the names are
# the libraries each language's OpenTelemetry instrumentation really ships under.
_PY, _GO, _JAVA, _NODE = "0.45b0", "0.52.0", "2.4.0-alpha", "0.51.1"
SCOPES: dict[str, dict[str, tuple[str, str]]] = {
    "python": {
        "http_server": ("opentelemetry.instrumentation.flask", _PY),
        "http_client": ("opentelemetry.instrumentation.requests", _PY),
        "grpc": ("opentelemetry.instrumentation.grpc", _PY),
        "postgresql": ("opentelemetry.instrumentation.psycopg2", _PY),
        "mysql": ("opentelemetry.instrumentation.pymysql", _PY),
        "mongodb": ("opentelemetry.instrumentation.pymongo", _PY),
        "redis": ("opentelemetry.instrumentation.redis", _PY),
        "kafka": ("opentelemetry.instrumentation.kafka-python", _PY),
    },
    "go": {
        "http_server": ("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp", _GO),
        "http_client": ("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp", _GO),
        "grpc": ("go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc", _GO),
        "postgresql": ("github.com/XSAM/otelsql", "0.31.0"),
        "mysql": ("github.com/XSAM/otelsql", "0.31.0"),
        "mongodb": (
            "go.opentelemetry.io/contrib/instrumentation/go.mongodb.org/mongo-driver/mongo/otelmongo",
            _GO,
        ),
        "redis": ("github.com/redis/go-redis/extra/redisotel", "9.5.1"),
        "kafka": ("go.opentelemetry.io/contrib/instrumentation/github.com/IBM/sarama/otelsarama", "0.43.0"),
    },
    "java": {
        "http_server": ("io.opentelemetry.tomcat-10.0", _JAVA),
        "http_client": ("io.opentelemetry.java-http-client", _JAVA),
        "grpc": ("io.opentelemetry.grpc-1.6", _JAVA),
        "postgresql": ("io.opentelemetry.jdbc", _JAVA),
        "mysql": ("io.opentelemetry.jdbc", _JAVA),
        "mongodb": ("io.opentelemetry.mongo-3.1", _JAVA),
        "redis": ("io.opentelemetry.lettuce-5.1", _JAVA),
        "kafka": ("io.opentelemetry.kafka-clients-0.11", _JAVA),
    },
    "nodejs": {
        "http_server": ("@opentelemetry/instrumentation-http", _NODE),
        "http_client": ("@opentelemetry/instrumentation-http", _NODE),
        "grpc": ("@opentelemetry/instrumentation-grpc", _NODE),
        "postgresql": ("@opentelemetry/instrumentation-pg", "0.41.0"),
        "mysql": ("@opentelemetry/instrumentation-mysql2", "0.38.0"),
        "mongodb": ("@opentelemetry/instrumentation-mongodb", "0.43.0"),
        "redis": ("@opentelemetry/instrumentation-ioredis", "0.40.0"),
        "kafka": ("@opentelemetry/instrumentation-kafkajs", "0.1.0"),
    },
}

DB_HOSTS = {"postgresql": ("postgres", 5432), "mysql": ("mysql", 3306), "mongodb": ("mongodb", 27017)}


def http_server(
    key: str, svc: str, method: str, route: str, path: str, median: float, *calls: Call
) -> Operation:
    """An HTTP server span; `path` is the concrete url.path template with IDs in it."""
    attrs: dict[str, AttrValue] = {
        "http.request.method": method,
        "http.route": route,
        "url.scheme": "https" if svc == "frontend" else "http",
        "server.address": "shop.example.com" if svc == "frontend" else svc,
        # The frontend is reached through the public load balancer; everything else on its pod port.
        "server.port": 443 if svc == "frontend" else _PORTS[svc],
        "network.protocol.version": "1.1",
    }
    dynamic = {"url.path": path}
    if svc == "frontend":
        dynamic["user_agent.original"] = "{ua}"
    return Operation(key, SpanType.HTTP_SERVER, f"{method} {route}", svc, median, 0.6, attrs, dynamic, calls)


def grpc_server(key: str, svc: str, rpc_service: str, method: str, median: float, *calls: Call) -> Operation:
    """A gRPC server span."""
    attrs: dict[str, AttrValue] = {
        "rpc.system": "grpc",
        "rpc.service": rpc_service,
        "rpc.method": method,
        "server.address": svc,
        "server.port": _PORTS[svc],
    }
    return Operation(key, SpanType.GRPC_SERVER, f"{rpc_service}/{method}", svc, median, 0.6, attrs, {}, calls)


def db(
    key: str, system: str, db_name: str, operation: str, table: str, statement: str, median: float
) -> Operation:
    """A SQL or MongoDB client span; `statement` carries literal values like a real driver sees."""
    host, port = DB_HOSTS[system]
    attrs: dict[str, AttrValue] = {
        "db.system": system,
        "db.name": db_name,
        "db.operation": operation,
        "server.address": host,
        "server.port": port,
    }
    if system == "mongodb":
        attrs["db.mongodb.collection"] = table
    else:
        attrs["db.sql.table"] = table
    name = f"{operation} {db_name}.{table}"
    return Operation(
        key, SpanType.DB, name, None, median, 0.7, attrs, {"db.statement": statement}, (), system
    )


def redis(key: str, command: str, statement: str, median: float = 0.6) -> Operation:
    """A Redis client span; the statement keeps the key, as redis instrumentations do."""
    attrs: dict[str, AttrValue] = {
        "db.system": "redis",
        "db.operation": command,
        "db.redis.database_index": 0,
        "server.address": "redis",
        "server.port": 6379,
    }
    return Operation(
        key, SpanType.CACHE, command, None, median, 0.6, attrs, {"db.statement": statement}, (), "redis"
    )


def kafka(key: str, topic: str, op: str, svc: str | None, median: float, *calls: Call) -> Operation:
    """A Kafka producer (op "publish") or consumer (op "process") span."""
    attrs: dict[str, AttrValue] = {
        "messaging.system": "kafka",
        "messaging.destination.name": topic,
        "messaging.operation": op,
        "server.address": "kafka",
        "server.port": 9092,
    }
    dynamic = {"messaging.kafka.message.key": "order:{order}"}
    if op == "process":
        attrs["messaging.kafka.consumer.group"] = svc or ""
        dynamic["messaging.kafka.message.offset"] = "{offset}"
        return Operation(
            key, SpanType.CONSUMER, f"{topic} process", svc, median, 0.6, attrs, dynamic, calls, "kafka"
        )
    return Operation(
        key, SpanType.PRODUCER, f"{topic} publish", svc, median, 0.5, attrs, dynamic, calls, "kafka"
    )


def internal(key: str, name: str, median: float, *calls: Call, sigma: float = 0.6, **attrs: str) -> Operation:
    """An INTERNAL span (business logic, rendering, batch job roots); attrs are dynamic templates."""
    dynamic = {k.replace("_", "."): v for k, v in attrs.items()}
    return Operation(key, SpanType.INTERNAL, name, None, median, sigma, {}, dynamic, calls)


def external(key: str, method: str, url: str, host: str, median: float) -> Operation:
    """An HTTP client span to a third-party API (no server span: it is outside the system)."""
    attrs: dict[str, AttrValue] = {
        "http.request.method": method,
        "server.address": host,
        "server.port": 443,
        "network.protocol.version": "1.1",
    }
    return Operation(key, SpanType.HTTP_CLIENT, method, None, median, 0.7, attrs, {"url.full": url}, ())


ITEMS = Count("uniform", 1, 6)
FEW = Count("uniform", 0, 4)
# Order history pages make the middle of the tail (tens to hundreds of spans); batch jobs make the far
# tail: hundreds of iterations typically, a few thousand spans sometimes.
HISTORY = Count("lognormal", 25, 0.7, cap=200)
BATCH = Count("lognormal", 120, 0.8, cap=800)

OPERATIONS: tuple[Operation, ...] = (
    # frontend: the browser-facing entry points.
    http_server(
        "fe.home",
        "frontend",
        "GET",
        "/",
        "/",
        15,
        c("gw.products"),
        c("ad.get"),
        c("rec.list"),
        c("fe.render"),
    ),
    http_server(
        "fe.product",
        "frontend",
        "GET",
        "/product/{id}",
        "/product/{product}",
        15,
        c("gw.product"),
        c("rec.list"),
        c("ad.get"),
        c("gw.cart", prob=0.5),
        c("fe.publish", prob=0.3),
        c("fe.render"),
    ),
    http_server(
        "fe.search", "frontend", "GET", "/search", "/search", 10, c("gw.search"), c("ad.get"), c("fe.render")
    ),
    http_server(
        "fe.cart",
        "frontend",
        "GET",
        "/cart",
        "/cart",
        10,
        c("gw.cart"),
        c("rec.list", prob=0.5),
        c("fe.render"),
    ),
    http_server("fe.add", "frontend", "POST", "/api/cart", "/api/cart", 8, c("gw.cart_add")),
    http_server("fe.checkout", "frontend", "POST", "/api/checkout", "/api/checkout", 10, c("gw.checkout")),
    http_server(
        "fe.order", "frontend", "GET", "/orders/{id}", "/orders/{order}", 10, c("gw.order"), c("fe.render")
    ),
    http_server(
        "fe.history",
        "frontend",
        "GET",
        "/account/orders",
        "/account/orders",
        10,
        c("gw.history"),
        c("fe.render"),
    ),
    http_server("fe.health", "frontend", "GET", "/healthz", "/healthz", 0.3),
    internal("fe.render", "render page", 6, app_user_id="{user}"),
    kafka("fe.publish", "user-events", "publish", None, 2, c("rec.events")),
    # api-gateway: authenticates, then routes.
    http_server(
        "gw.products",
        "api-gateway",
        "GET",
        "/api/products",
        "/api/products",
        3,
        c("auth.validate"),
        c("catalog.list"),
    ),
    http_server(
        "gw.product",
        "api-gateway",
        "GET",
        "/api/products/{id}",
        "/api/products/{product}",
        3,
        c("auth.validate"),
        c("catalog.get"),
        c("inv.check"),
    ),
    http_server(
        "gw.cart",
        "api-gateway",
        "GET",
        "/api/cart",
        "/api/cart",
        3,
        c("auth.validate"),
        c("cart.get"),
        c("catalog.get", count=FEW, parallel=True, fresh="product"),
    ),
    http_server(
        "gw.cart_add",
        "api-gateway",
        "POST",
        "/api/cart/items",
        "/api/cart/items",
        3,
        c("auth.validate"),
        c("catalog.get"),
        c("inv.check"),
        c("cart.add"),
    ),
    http_server(
        "gw.checkout",
        "api-gateway",
        "POST",
        "/api/checkout",
        "/api/checkout",
        3,
        c("auth.validate"),
        c("user.get"),
        c("checkout.place"),
    ),
    http_server(
        "gw.search",
        "api-gateway",
        "GET",
        "/api/search",
        "/api/search",
        3,
        c("auth.validate"),
        c("search.query"),
    ),
    http_server(
        "gw.order",
        "api-gateway",
        "GET",
        "/api/orders/{id}",
        "/api/orders/{order}",
        3,
        c("auth.validate"),
        c("checkout.get_order"),
    ),
    http_server(
        "gw.history",
        "api-gateway",
        "GET",
        "/api/orders",
        "/api/orders",
        3,
        c("auth.validate"),
        c("checkout.list_orders"),
    ),
    grpc_server(
        "auth.validate",
        "auth",
        "auth.AuthService",
        "ValidateToken",
        0.8,
        c("redis.session"),
        c("user.get", prob=0.1),
    ),
    grpc_server("user.get", "user", "user.UserService", "GetUser", 1.5, c("pg.user")),
    grpc_server("user.address", "user", "user.UserService", "GetAddress", 1.5, c("pg.address")),
    grpc_server("cart.get", "cart", "oteldemo.CartService", "GetCart", 0.8, c("redis.cart_get")),
    grpc_server(
        "cart.add",
        "cart",
        "oteldemo.CartService",
        "AddItem",
        0.8,
        c("redis.cart_add"),
        c("redis.cart_expire"),
    ),
    grpc_server("cart.empty", "cart", "oteldemo.CartService", "EmptyCart", 0.5, c("redis.cart_del")),
    grpc_server(
        "catalog.get",
        "catalog",
        "oteldemo.ProductCatalogService",
        "GetProduct",
        0.6,
        c("redis.product_get"),
        c("mongo.product", "redis.product_set", prob=0.25),
    ),
    grpc_server(
        "catalog.list", "catalog", "oteldemo.ProductCatalogService", "ListProducts", 1.5, c("mongo.products")
    ),
    grpc_server("inv.check", "inventory", "inventory.InventoryService", "CheckStock", 1.0, c("mysql.stock")),
    grpc_server(
        "inv.reserve",
        "inventory",
        "inventory.InventoryService",
        "ReserveStock",
        1.5,
        c("mysql.stock_lock"),
        c("mysql.stock_update"),
    ),
    internal(
        "inv.sync",
        "inventory-sync",
        40,
        c("mysql.stock", "catalog.get", count=BATCH, fresh="product"),
        c("mysql.stock_update", count=Count("uniform", 0, 30), fresh="product qty"),
        sigma=0.4,
        job_name="inventory-sync",
    ),
    grpc_server(
        "checkout.place",
        "checkout",
        "oteldemo.CheckoutService",
        "PlaceOrder",
        4,
        c("cart.get"),
        c("user.address"),
        c("catalog.get", "inv.reserve", count=ITEMS, fresh="product qty"),
        c("ship.quote"),
        c("payment.charge"),
        c("ship.ship"),
        c("pg.order_insert"),
        c("pg.item_insert", count=ITEMS, fresh="product qty"),
        c("cart.empty"),
        c("checkout.publish"),
    ),
    grpc_server(
        "checkout.list_orders",
        "checkout",
        "oteldemo.CheckoutService",
        "ListOrders",
        2,
        c("pg.orders_by_user"),
        c("pg.items_select", "ship.track", count=HISTORY, fresh="order"),
    ),
    grpc_server(
        "checkout.get_order",
        "checkout",
        "oteldemo.CheckoutService",
        "GetOrder",
        1.5,
        c("pg.order_select"),
        c("pg.items_select"),
        c("ship.track"),
    ),
    kafka("checkout.publish", "orders", "publish", None, 2, c("email.orders"), c("notif.orders")),
    grpc_server(
        "payment.charge",
        "payment",
        "oteldemo.PaymentService",
        "Charge",
        3,
        c("payment.validate"),
        c("payment.gateway"),
        c("pg.payment_insert"),
    ),
    internal("payment.validate", "validate card", 1.5, app_payment_card_type="visa"),
    external(
        "payment.gateway",
        "POST",
        "https://api.payments.example.com/v1/charges",
        "api.payments.example.com",
        180,
    ),
    http_server("ship.quote", "shipping", "POST", "/get-quote", "/get-quote", 2, c("ship.compute")),
    internal("ship.compute", "compute quote", 1.5, app_shipping_zip="{zip}"),
    http_server(
        "ship.ship",
        "shipping",
        "POST",
        "/ship-order",
        "/ship-order",
        2,
        c("mysql.ship_insert"),
        c("ship.publish"),
    ),
    http_server(
        "ship.track", "shipping", "GET", "/track/{id}", "/track/{order}", 1.5, c("mysql.ship_select")
    ),
    kafka("ship.publish", "shipments", "publish", None, 2, c("notif.shipments")),
    http_server(
        "search.query",
        "search",
        "GET",
        "/search",
        "/search",
        4,
        c("search.parse"),
        c("mysql.search"),
        c("catalog.get", count=Count("lognormal", 8, 0.6, cap=40), parallel=True, fresh="product"),
    ),
    internal("search.parse", "parse query", 0.8, app_search_query="{query}"),
    grpc_server(
        "rec.list",
        "recommendation",
        "oteldemo.RecommendationService",
        "ListRecommendations",
        3,
        c("redis.recs_get"),
        c("catalog.list", "rec.score", prob=0.4),
    ),
    internal("rec.score", "score candidates", 8, app_recommendation_count="{qty}"),
    kafka("rec.events", "user-events", "process", "recommendation", 1, c("redis.recs_bump")),
    internal(
        "rec.rebuild",
        "rebuild-recommendations",
        30,
        c("redis.recs_range", "rec.score", "redis.recs_set", count=BATCH, fresh="user qty"),
        sigma=0.4,
        job_name="rebuild-recommendations",
    ),
    grpc_server(
        "ad.get", "ad", "oteldemo.AdService", "GetAds", 1.5, c("mysql.ads", prob=0.5), c("ad.select")
    ),
    internal("ad.select", "select ads", 0.5, app_ads_category="{category}"),
    kafka("email.orders", "orders", "process", "email", 2, c("email.render"), c("email.send")),
    internal("email.render", "render confirmation email", 4, app_order_id="{order}"),
    external(
        "email.send", "POST", "https://api.mailer.example.com/v3/mail/send", "api.mailer.example.com", 90
    ),
    internal(
        "email.newsletter",
        "send-newsletter",
        20,
        c("user.get", "email.render", "email.send", count=BATCH, fresh="user order"),
        sigma=0.4,
        job_name="send-newsletter",
    ),
    kafka("notif.orders", "orders", "process", "notification", 1, c("notif.push")),
    kafka("notif.shipments", "shipments", "process", "notification", 1, c("user.get"), c("notif.push")),
    external(
        "notif.push",
        "POST",
        "https://fcm.googleapis.com/v1/projects/shop/messages:send",
        "fcm.googleapis.com",
        60,
    ),
    # databases and caches
    db(
        "pg.user",
        "postgresql",
        "users",
        "SELECT",
        "users",
        "SELECT id, email, name, created_at FROM users WHERE id = {user}",
        2,
    ),
    db(
        "pg.address",
        "postgresql",
        "users",
        "SELECT",
        "addresses",
        "SELECT * FROM addresses WHERE user_id = {user} AND is_default = true",
        2,
    ),
    db(
        "pg.order_insert",
        "postgresql",
        "orders",
        "INSERT",
        "orders",
        "INSERT INTO orders (id, user_id, total_cents, status) VALUES ({order}, {user}, {cents}, 'placed')",
        4,
    ),
    db(
        "pg.item_insert",
        "postgresql",
        "orders",
        "INSERT",
        "order_items",
        "INSERT INTO order_items (order_id, product_id, quantity) VALUES ({order}, {product}, {qty})",
        2,
    ),
    db(
        "pg.orders_by_user",
        "postgresql",
        "orders",
        "SELECT",
        "orders",
        "SELECT * FROM orders WHERE user_id = {user} ORDER BY created_at DESC LIMIT 200",
        6,
    ),
    db(
        "pg.order_select",
        "postgresql",
        "orders",
        "SELECT",
        "orders",
        "SELECT * FROM orders WHERE id = {order}",
        2,
    ),
    db(
        "pg.items_select",
        "postgresql",
        "orders",
        "SELECT",
        "order_items",
        "SELECT * FROM order_items WHERE order_id = {order}",
        3,
    ),
    db(
        "pg.payment_insert",
        "postgresql",
        "orders",
        "INSERT",
        "payments",
        "INSERT INTO payments (order_id, amount_cents, provider_ref) "
        "VALUES ({order}, {cents}, 'ch_{session}')",
        4,
    ),
    db(
        "mysql.stock",
        "mysql",
        "inventory",
        "SELECT",
        "stock",
        "SELECT quantity FROM stock WHERE product_id = {product}",
        1.5,
    ),
    db(
        "mysql.stock_lock",
        "mysql",
        "inventory",
        "SELECT",
        "stock",
        "SELECT quantity FROM stock WHERE product_id = {product} FOR UPDATE",
        2.5,
    ),
    db(
        "mysql.stock_update",
        "mysql",
        "inventory",
        "UPDATE",
        "stock",
        "UPDATE stock SET quantity = quantity - {qty} WHERE product_id = {product}",
        3,
    ),
    db(
        "mysql.ship_insert",
        "mysql",
        "shipping",
        "INSERT",
        "shipments",
        "INSERT INTO shipments (order_id, carrier, zip) VALUES ({order}, 'ups', '{zip}')",
        3,
    ),
    db(
        "mysql.ship_select",
        "mysql",
        "shipping",
        "SELECT",
        "shipments",
        "SELECT * FROM shipments WHERE order_id = {order}",
        1.5,
    ),
    db(
        "mysql.search",
        "mysql",
        "search",
        "SELECT",
        "product_index",
        "SELECT product_id, MATCH(title) AGAINST ('{query}') AS score FROM product_index "
        "WHERE MATCH(title) AGAINST ('{query}') ORDER BY score DESC LIMIT 20",
        12,
    ),
    db(
        "mysql.ads",
        "mysql",
        "ads",
        "SELECT",
        "ads",
        "SELECT * FROM ads WHERE category = '{category}' LIMIT 3",
        2,
    ),
    db(
        "mongo.product",
        "mongodb",
        "catalog",
        "find",
        "products",
        '{{"find": "products", "filter": {{"_id": {product}}}}}',
        2,
    ),
    db(
        "mongo.products",
        "mongodb",
        "catalog",
        "find",
        "products",
        '{{"find": "products", "filter": {{"category": "{category}"}}, "limit": 20}}',
        6,
    ),
    redis("redis.session", "GET", "GET session:{session}"),
    redis("redis.cart_get", "HGETALL", "HGETALL cart:{user}"),
    redis("redis.cart_add", "HSET", "HSET cart:{user} {product} {qty}"),
    redis("redis.cart_expire", "EXPIRE", "EXPIRE cart:{user} 3600", 0.3),
    redis("redis.cart_del", "DEL", "DEL cart:{user}"),
    redis("redis.product_get", "GET", "GET product:{product}"),
    redis("redis.product_set", "SET", "SET product:{product} ? EX 300"),
    redis("redis.recs_get", "GET", "GET recs:{user}"),
    redis("redis.recs_set", "SET", "SET recs:{user} ? EX 86400"),
    redis("redis.recs_range", "ZREVRANGE", "ZREVRANGE views:{user} 0 49 WITHSCORES", 0.9),
    redis("redis.recs_bump", "ZINCRBY", "ZINCRBY views:{user} 1 {product}"),
)

# Root operations, their share of traces (normalised by the generator) and the service they run in.
# gw.product stands for the mobile app calling the gateway directly. Batch jobs (the last three) are
# rare but large.
ROOTS: tuple[tuple[str, float, str], ...] = (
    ("fe.home", 0.17, "frontend"),
    ("fe.product", 0.30, "frontend"),
    ("fe.search", 0.10, "frontend"),
    ("fe.cart", 0.10, "frontend"),
    ("fe.add", 0.09, "frontend"),
    ("fe.checkout", 0.05, "frontend"),
    ("fe.order", 0.07, "frontend"),
    ("fe.history", 0.02, "frontend"),
    ("fe.health", 0.04, "frontend"),
    ("gw.product", 0.07, "api-gateway"),
    ("inv.sync", 0.003, "inventory"),
    ("rec.rebuild", 0.003, "recommendation"),
    ("email.newsletter", 0.003, "email"),
)
