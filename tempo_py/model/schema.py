"""The span table: one Arrow row per span, the shape used from decode to Parquet and back.

Every OTLP span field has a column, so a block round-trips losslessly. Resource and scope fields
are repeated on each span row (Parquet's dictionary + RLE encoding stores a repeat for ~nothing
because rows are sorted by trace ID, and spans of one trace mostly share few resources).

Attributes of every AnyValue type live in one list<struct> shape (:data:`ATTR_TYPE`) used for span,
resource, scope, event and link attributes. Scalars get a typed field; arrays and key-value lists
are kept as a serialized ``AnyValue`` protobuf in ``bytes`` with ``type`` telling them apart from
plain bytes, which keeps them lossless without a recursive Arrow type.

A few well-known attributes get their own columns (:data:`DEDICATED`) so search reads one small
column instead of the generic attribute list. A dedicated value is *moved* out of the list (stored
once); conversion back to OTLP re-appends it. OTLP attributes are a map (keys are unique), so this
changes the order of keys but not their meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pyarrow as pa

# AnyValue kinds stored in ATTR_TYPE.type
VT_EMPTY: Final = 0
VT_STR: Final = 1
VT_BOOL: Final = 2
VT_INT: Final = 3
VT_DOUBLE: Final = 4
VT_BYTES: Final = 5
VT_ARRAY: Final = 6  # serialized AnyValue in `bytes`
VT_KVLIST: Final = 7  # serialized AnyValue in `bytes`

ATTR_STRUCT = pa.struct(
    [
        pa.field("key", pa.string(), nullable=False),
        pa.field("type", pa.int8(), nullable=False),
        pa.field("str", pa.string()),
        pa.field("int", pa.int64()),
        pa.field("double", pa.float64()),
        pa.field("bool", pa.bool_()),
        pa.field("bytes", pa.binary()),
    ]
)
ATTR_TYPE = pa.list_(ATTR_STRUCT)

EVENT_STRUCT = pa.struct(
    [
        pa.field("time_unix_nano", pa.uint64(), nullable=False),
        pa.field("name", pa.string(), nullable=False),
        pa.field("attrs", ATTR_TYPE, nullable=False),
        pa.field("dropped_attributes_count", pa.uint32(), nullable=False),
    ]
)
LINK_STRUCT = pa.struct(
    [
        pa.field("trace_id", pa.binary(), nullable=False),
        pa.field("span_id", pa.binary(), nullable=False),
        pa.field("trace_state", pa.string(), nullable=False),
        pa.field("flags", pa.uint32(), nullable=False),
        pa.field("attrs", ATTR_TYPE, nullable=False),
        pa.field("dropped_attributes_count", pa.uint32(), nullable=False),
    ]
)


@dataclass(frozen=True)
class Dedicated:
    """A well-known attribute stored in its own column. ``scope`` is "resource" or "span"."""

    scope: str
    key: str
    column: str
    vtype: int  # VT_STR or VT_INT: only values of this type move to the column


DEDICATED: Final[tuple[Dedicated, ...]] = (
    Dedicated("resource", "service.name", "service_name", VT_STR),
    Dedicated("resource", "k8s.namespace.name", "k8s_namespace_name", VT_STR),
    Dedicated("resource", "k8s.pod.name", "k8s_pod_name", VT_STR),
    Dedicated("resource", "k8s.deployment.name", "k8s_deployment_name", VT_STR),
    Dedicated("resource", "k8s.cluster.name", "k8s_cluster_name", VT_STR),
    Dedicated("resource", "k8s.container.name", "k8s_container_name", VT_STR),
    Dedicated("span", "http.method", "http_method", VT_STR),
    Dedicated("span", "http.request.method", "http_request_method", VT_STR),
    Dedicated("span", "http.route", "http_route", VT_STR),
    Dedicated("span", "http.status_code", "http_status_code", VT_INT),
    Dedicated("span", "http.response.status_code", "http_response_status_code", VT_INT),
    Dedicated("span", "db.system", "db_system", VT_STR),
    Dedicated("span", "rpc.system", "rpc_system", VT_STR),
    Dedicated("span", "rpc.service", "rpc_service", VT_STR),
    Dedicated("span", "rpc.method", "rpc_method", VT_STR),
)
DEDICATED_BY_KEY: Final[dict[tuple[str, str], Dedicated]] = {(d.scope, d.key): d for d in DEDICATED}


def _dedicated_type(d: Dedicated) -> pa.DataType:
    return pa.int64() if d.vtype == VT_INT else pa.string()


SPAN_SCHEMA: Final = pa.schema(
    [
        pa.field("trace_id", pa.binary(16), nullable=False),
        pa.field("span_id", pa.binary(8), nullable=False),
        pa.field("parent_span_id", pa.binary()),  # null for a root span
        pa.field("trace_state", pa.string(), nullable=False),
        pa.field("flags", pa.uint32(), nullable=False),
        pa.field("name", pa.string(), nullable=False),
        pa.field("kind", pa.int8(), nullable=False),
        pa.field("start_time_unix_nano", pa.uint64(), nullable=False),
        pa.field("end_time_unix_nano", pa.uint64(), nullable=False),
        pa.field("status_code", pa.int8(), nullable=False),
        pa.field("status_message", pa.string(), nullable=False),
        pa.field("attrs", ATTR_TYPE, nullable=False),
        pa.field("dropped_attributes_count", pa.uint32(), nullable=False),
        pa.field("events", pa.list_(EVENT_STRUCT), nullable=False),
        pa.field("dropped_events_count", pa.uint32(), nullable=False),
        pa.field("links", pa.list_(LINK_STRUCT), nullable=False),
        pa.field("dropped_links_count", pa.uint32(), nullable=False),
        pa.field("resource_attrs", ATTR_TYPE, nullable=False),
        pa.field("resource_dropped_attributes_count", pa.uint32(), nullable=False),
        pa.field("resource_schema_url", pa.string(), nullable=False),
        pa.field("scope_name", pa.string(), nullable=False),
        pa.field("scope_version", pa.string(), nullable=False),
        pa.field("scope_attrs", ATTR_TYPE, nullable=False),
        pa.field("scope_dropped_attributes_count", pa.uint32(), nullable=False),
        pa.field("scope_schema_url", pa.string(), nullable=False),
        *(pa.field(d.column, _dedicated_type(d)) for d in DEDICATED),
    ]
)
SPAN_COLUMNS: Final[tuple[str, ...]] = tuple(SPAN_SCHEMA.names)

RESOURCE_COLUMNS: Final[tuple[str, ...]] = (
    "resource_attrs",
    "resource_dropped_attributes_count",
    "resource_schema_url",
    *(d.column for d in DEDICATED if d.scope == "resource"),
)
SCOPE_COLUMNS: Final[tuple[str, ...]] = (
    "scope_name",
    "scope_version",
    "scope_attrs",
    "scope_dropped_attributes_count",
    "scope_schema_url",
)


def empty_table() -> pa.Table:
    """A span table with no rows."""
    return SPAN_SCHEMA.empty_table()
