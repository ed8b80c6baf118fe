"""One span table reduced to what the service catalog needs: operations and service-to-service calls.

A summary is small (distinct (service, operation, kind) triples and per-minute call counts between
pairs of services), so one per block can be kept for as long as the block exists: blocks never
change, so a block is read once (eight narrow columns) and never again for services, operations or
dependencies.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

# The columns a summary reads: narrow, all but the IDs dictionary-encoded in blocks.
SUMMARY_COLUMNS = (
    "trace_id",
    "span_id",
    "parent_span_id",
    "service_name",
    "name",
    "kind",
    "start_time_unix_nano",
    "status_code",
)
BUCKET_NS = 60 * 10**9  # call counts are kept per minute of the calling span's start
_STATUS_ERROR = 2


@dataclass(frozen=True)
class Edge:
    """Calls from ``parent`` (service of the parent span) to ``child`` in one minute bucket."""

    parent: str
    child: str
    bucket: int  # start time // BUCKET_NS


@dataclass
class Summary:
    """Operations as (service, name, OTLP kind) and calls per edge: (count, errors in the child)."""

    operations: set[tuple[str, str, int]] = field(default_factory=set)
    calls: Counter[Edge] = field(default_factory=Counter)
    errors: Counter[Edge] = field(default_factory=Counter)

    def merge(self, other: Summary) -> None:
        """Add ``other`` into this summary."""
        self.operations |= other.operations
        self.calls.update(other.calls)
        self.errors.update(other.errors)


def summarize(table: pa.Table) -> Summary:
    """The summary of span rows (any table holding :data:`SUMMARY_COLUMNS`)."""
    out = Summary()
    if table.num_rows == 0:
        return out
    service = pc.fill_null(table.column("service_name"), "")
    ops = pa.table({"s": service, "n": table.column("name"), "k": table.column("kind")})
    distinct = ops.group_by(["s", "n", "k"]).aggregate([])
    out.operations = set(
        zip(
            distinct.column("s").to_pylist(),
            distinct.column("n").to_pylist(),
            distinct.column("k").to_pylist(),
            strict=True,
        )
    )
    parents = pa.table(
        {
            "t": table.column("trace_id").cast(pa.binary()),
            "p": table.column("span_id").cast(pa.binary()),
            "ps": service,
        }
    )
    children = pa.table(
        {
            "t": table.column("trace_id").cast(pa.binary()),
            "p": table.column("parent_span_id").cast(pa.binary()),
            "cs": service,
            "b": pc.divide(table.column("start_time_unix_nano"), pa.scalar(BUCKET_NS, pa.uint64())),
            "e": pc.equal(table.column("status_code"), pa.scalar(_STATUS_ERROR, pa.int8())),
        }
    ).filter(pc.is_valid(table.column("parent_span_id")))
    if children.num_rows == 0:
        return out
    # A parent span may appear twice (a Zipkin shared span keeps client and server halves under
    # one span ID): count each child once per distinct parent service.
    joined = children.join(parents.group_by(["t", "p", "ps"]).aggregate([]), ["t", "p"], join_type="inner")
    cross = joined.filter(pc.not_equal(joined.column("ps"), joined.column("cs")))
    grouped = cross.group_by(["ps", "cs", "b"]).aggregate([("e", "count"), ("e", "sum")])
    for ps, cs, b, n, e in zip(
        grouped.column("ps").to_pylist(),
        grouped.column("cs").to_pylist(),
        grouped.column("b").to_pylist(),
        grouped.column("e_count").to_pylist(),
        grouped.column("e_sum").to_pylist(),
        strict=True,
    ):
        edge = Edge(ps, cs, int(b))
        out.calls[edge] += int(n)
        if e:
            out.errors[edge] += int(e)
    return out
