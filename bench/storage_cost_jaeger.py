"""A Jaeger-style indexed store in SQLite: the span table plus the index tables Jaeger keeps in Cassandra.

Shape learned from Jaeger's Cassandra schema (v004) and span writer; the DDL is our own. Each
table is ``WITHOUT ROWID`` with the Cassandra primary key as its key, so rows are clustered the
way Cassandra clusters them and each index is stored once (no extra secondary index on top).

* ``traces``: one row per span, keyed (trace_id, span_id, span_hash); tags, logs, refs and the
  process are serialized (compact JSON lists of ``[key, type, value]`` standing in for Cassandra's
  ``list<frozen<keyvalue>>`` UDT cells).
* ``service_names``, ``operation_names_v2``: distinct services and (service, kind, operation).
* ``service_operation_index``, ``service_name_index`` (10 buckets): one row per span, by start time.
* ``duration_index``: two rows per span, for (service, operation) and (service, "") per hour bucket.
* ``tag_index``: one row per distinct tag of the span, its process and its log fields, as Jaeger's
  writer does: binary values, values of 256+ characters and JSON objects are not indexed.

Spans are converted from OTLP the way Jaeger's OTLP receiver does (service.name -> process,
span.kind / otel.status_code / error / otel.scope.* tags, events -> logs, parent and links -> refs).
Cassandra would compress these rows (LZ4, ~2x) but keep 3 replicas; neither is modelled.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from bench.storage_cost_corpus import Corpus
from bench.storage_cost_model import Requests, Result
from bench.storage_cost_util import Progress, percentile, time_lookups

# Cassandra stores a partition's key once and only clustering columns per row; SQLite would repeat
# the whole key in every index row. So each index table keeps its partition key once in
# ``partitions`` and its rows carry the partition's integer id (Cassandra's layout, not SQLite's).
DDL = """
CREATE TABLE traces (
    trace_id BLOB, span_id INTEGER, span_hash INTEGER, parent_id INTEGER, operation_name TEXT,
    flags INTEGER, start_time INTEGER, duration INTEGER, tags TEXT, logs TEXT, refs TEXT, process TEXT,
    PRIMARY KEY (trace_id, span_id, span_hash)) WITHOUT ROWID;
CREATE TABLE service_names (service_name TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE operation_names_v2 (service_name TEXT, span_kind TEXT, operation_name TEXT,
    PRIMARY KEY (service_name, span_kind, operation_name)) WITHOUT ROWID;
CREATE TABLE partitions (id INTEGER PRIMARY KEY, table_name TEXT, key TEXT, UNIQUE (table_name, key));
-- partition (service_name, operation_name), clustering start_time
CREATE TABLE service_operation_index (partition INTEGER, start_time INTEGER, trace_id BLOB,
    PRIMARY KEY (partition, start_time)) WITHOUT ROWID;
-- partition (service_name, bucket), clustering start_time
CREATE TABLE service_name_index (partition INTEGER, start_time INTEGER, trace_id BLOB,
    PRIMARY KEY (partition, start_time)) WITHOUT ROWID;
-- partition (service_name, operation_name, hour bucket), clustering duration, start_time, trace_id
CREATE TABLE duration_index (partition INTEGER, duration INTEGER, start_time INTEGER, trace_id BLOB,
    PRIMARY KEY (partition, duration, start_time, trace_id)) WITHOUT ROWID;
-- partition (service_name, tag_key, tag_value), clustering start_time, trace_id, span_id
CREATE TABLE tag_index (partition INTEGER, start_time INTEGER, trace_id BLOB, span_id INTEGER,
    PRIMARY KEY (partition, start_time, trace_id, span_id)) WITHOUT ROWID;
"""

_KINDS = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
_MAX_INDEXED = 256  # Jaeger's writer skips tag keys/values this long or longer
_SERVICE_BUCKETS = 10
_HOUR_US = 3_600_000_000
Tag = list[Any]  # [key, type, value]


def _value(v: AnyValue) -> tuple[str, Any]:
    which = v.WhichOneof("value")
    if which == "string_value":
        return "string", v.string_value
    if which == "bool_value":
        return "bool", v.bool_value
    if which == "int_value":
        return "int64", v.int_value
    if which == "double_value":
        return "float64", v.double_value
    if which == "bytes_value":
        return "binary", v.bytes_value.hex()
    # arrays and maps: Jaeger's OTLP translator stores them as JSON strings
    return "string", json.dumps(json_format.MessageToDict(v), separators=(",", ":"))


def _tags(kvs: Iterable[KeyValue]) -> list[Tag]:
    return [[kv.key, *_value(kv.value)] for kv in kvs]


def _signed(b: bytes) -> int:
    return int.from_bytes(b, "big", signed=True) if b else 0


def _indexable(tag: Tag) -> bool:
    key, vtype, value = tag
    text = str(value)
    return (
        vtype != "binary"
        and len(key) < _MAX_INDEXED
        and len(text) < _MAX_INDEXED
        and not text.startswith("{")
    )


class JaegerStore:
    """The SQLite database and its insert statements."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.unlink(missing_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None)
        # Span rows are ~1-2 KB; with 4 KB pages a WITHOUT ROWID table spills them to overflow
        # pages and wastes most of each page. 64 KB pages keep rows inline, as Cassandra would.
        self.db.execute("PRAGMA page_size=65536")
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(DDL)
        self._partitions: dict[tuple[str, str], int] = {}

    def _partition(self, table: str, key: tuple[Any, ...], rows: list[tuple[Any, ...]]) -> int:
        """The id of ``table``'s partition ``key``, queueing a new partitions row on first sight."""
        text = json.dumps(key, separators=(",", ":"))
        pid = self._partitions.get((table, text))
        if pid is None:
            pid = self._partitions[(table, text)] = len(self._partitions) + 1
            rows.append((pid, table, text))
        return pid

    def write_request(self, payload: bytes) -> int:
        """Convert and store one OTLP request in one transaction; returns spans written."""
        req = ExportTraceServiceRequest.FromString(payload)
        rows: dict[str, list[tuple[Any, ...]]] = {
            t: [] for t in ("traces", "services", "ops", "partitions", "svc_op", "svc", "duration", "tag")
        }
        for rs in req.resource_spans:
            resource = _tags(rs.resource.attributes)
            service = next((t[2] for t in resource if t[0] == "service.name"), "unknown_service")
            process_tags = [t for t in resource if t[0] != "service.name"]
            process = json.dumps([service, process_tags], separators=(",", ":"))
            rows["services"].append((service,))
            for ss in rs.scope_spans:
                scope_tags: list[Tag] = [["otel.scope.name", "string", ss.scope.name]]
                if ss.scope.version:
                    scope_tags.append(["otel.scope.version", "string", ss.scope.version])
                for span in ss.spans:
                    self._span_rows(span, service, process, process_tags, scope_tags, rows)
        self.db.execute("BEGIN")
        ex = self.db.executemany
        ex("INSERT OR REPLACE INTO traces VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows["traces"])
        ex("INSERT OR IGNORE INTO service_names VALUES (?)", rows["services"])
        ex("INSERT OR IGNORE INTO operation_names_v2 VALUES (?,?,?)", rows["ops"])
        ex("INSERT INTO partitions VALUES (?,?,?)", rows["partitions"])
        ex("INSERT OR REPLACE INTO service_operation_index VALUES (?,?,?)", rows["svc_op"])
        ex("INSERT OR REPLACE INTO service_name_index VALUES (?,?,?)", rows["svc"])
        ex("INSERT OR REPLACE INTO duration_index VALUES (?,?,?,?)", rows["duration"])
        ex("INSERT OR REPLACE INTO tag_index VALUES (?,?,?,?)", rows["tag"])
        self.db.execute("COMMIT")
        return len(rows["traces"])

    def _span_rows(
        self,
        span: Any,
        service: str,
        process: str,
        process_tags: list[Tag],
        scope_tags: list[Tag],
        rows: dict[str, list[tuple[Any, ...]]],
    ) -> None:
        tid, sid = bytes(span.trace_id), _signed(span.span_id)
        start = span.start_time_unix_nano // 1000
        duration = max(span.end_time_unix_nano - span.start_time_unix_nano, 0) // 1000
        kind = _KINDS.get(span.kind, "")
        tags = _tags(span.attributes)
        if kind:
            tags.append(["span.kind", "string", kind])
        if span.status.code == 2:
            tags += [["otel.status_code", "string", "ERROR"], ["error", "bool", True]]
            if span.status.message:
                tags.append(["otel.status_description", "string", span.status.message])
        elif span.status.code == 1:
            tags.append(["otel.status_code", "string", "OK"])
        tags += scope_tags
        logs = [
            [e.time_unix_nano // 1000, [["event", "string", e.name], *_tags(e.attributes)]]
            for e in span.events
        ]
        refs: list[list[Any]] = []
        if span.parent_span_id:
            refs.append(["child-of", tid.hex(), _signed(span.parent_span_id)])
        refs += [["follows-from", bytes(link.trace_id).hex(), _signed(link.span_id)] for link in span.links]
        dump = json.dumps
        rows["traces"].append(
            (
                tid,
                sid,
                0,
                _signed(span.parent_span_id),
                span.name,
                1,
                start,
                duration,
                dump(tags, separators=(",", ":")),
                dump(logs, separators=(",", ":")),
                dump(refs, separators=(",", ":")),
                process,
            )
        )
        rows["ops"].append((service, kind, span.name))
        parts = rows["partitions"]
        rows["svc_op"].append((self._partition("svc_op", (service, span.name), parts), start, tid))
        rows["svc"].append((self._partition("svc", (service, sid % _SERVICE_BUCKETS), parts), start, tid))
        bucket = start - start % _HOUR_US
        for op in (span.name, ""):
            rows["duration"].append(
                (self._partition("duration", (service, op, bucket), parts), duration, start, tid)
            )
        unique: set[tuple[str, str]] = set()
        for tag in (*process_tags, *tags, *(f for _, fields in logs for f in fields)):
            if _indexable(tag):
                unique.add((tag[0], str(tag[2])))
        rows["tag"] += [(self._partition("tag", (service, k, v), parts), start, tid, sid) for k, v in unique]

    def find_trace(self, trace_id: bytes) -> list[dict[str, Any]]:
        """Every span of the trace, decoded the way a Jaeger reader rebuilds model spans."""
        cur = self.db.execute(
            "SELECT span_id, parent_id, operation_name, flags, start_time, duration, tags, logs, refs, "
            "process FROM traces WHERE trace_id = ?",
            (trace_id,),
        )
        return [
            {
                "span_id": r[0],
                "parent_id": r[1],
                "operation_name": r[2],
                "flags": r[3],
                "start_time": r[4],
                "duration": r[5],
                "tags": json.loads(r[6]),
                "logs": json.loads(r[7]),
                "refs": json.loads(r[8]),
                "process": json.loads(r[9]),
            }
            for r in cur
        ]

    def table_rows(self) -> dict[str, int]:
        """Row count of every table."""
        names = [r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: int(self.db.execute(f"SELECT count(*) FROM {n}").fetchone()[0]) for n in names}

    def table_bytes(self) -> dict[str, int]:
        """Bytes per table from SQLite's dbstat virtual table (empty if this build lacks it)."""
        try:
            cur = self.db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")
        except sqlite3.OperationalError:
            return {}
        return {str(n): int(b) for n, b in cur}

    def vacuum_size(self) -> int:
        """Checkpoint the WAL, VACUUM, and return the database file's size."""
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.execute("VACUUM")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return self.path.stat().st_size

    def close(self) -> None:
        """Close the connection."""
        self.db.close()


def _ingest(store: JaegerStore, bodies: Iterator[tuple[bytes, int]], total: int) -> None:
    with Progress("jaeger-style SQLite", total) as progress:
        for body, _ in bodies:
            progress.update(store.write_request(body))


def run_jaeger(corpus: Corpus, workdir: Path, lookup_ids: list[bytes]) -> Result:
    """Ingest the corpus into the SQLite store, VACUUM, time lookups."""
    workdir.mkdir(parents=True, exist_ok=True)
    store = JaegerStore(workdir / "jaeger.sqlite")
    try:
        began = time.perf_counter()
        _ingest(store, corpus.bodies(), corpus.spans)
        ingest_s = time.perf_counter() - began
        size = store.vacuum_size()

        def lookup(tid: bytes) -> None:
            if not store.find_trace(tid):
                raise RuntimeError(f"jaeger-style store: trace {tid.hex()} not found")

        latencies = time_lookups(lookup, lookup_ids)
        rows, table_bytes = store.table_rows(), store.table_bytes()
    finally:
        store.close()
    return Result(
        name="Jaeger-style indexed (SQLite)",
        spans=corpus.spans,
        stored_bytes=size,
        ingest_spans_per_s=corpus.spans / ingest_s,
        lookup_p50_ms=percentile(latencies, 50),
        lookup_p90_ms=percentile(latencies, 90),
        lookups=len(latencies),
        requests=Requests(
            basis="a database on a disk: no per-request fees; storage priced at S3 as a lower bound"
        ),
        notes=[
            "span table + Jaeger's Cassandra index tables, SQLite WITHOUT ROWID, size after VACUUM",
            "ingest = OTLP decode + Jaeger model conversion + inserts, in-process (no network)",
            "lookup = in-process SELECT by trace_id + decode (no HTTP: favours this row)",
            "no compression and 1 replica (Cassandra: LZ4 ~2x smaller, usually 3 replicas)",
        ],
        details={"table_rows": rows, "table_bytes": table_bytes},
    )
