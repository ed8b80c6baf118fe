"""What one storage-cost contender measured, and the monthly cost model every contender is priced by.

Costs are S3 Standard list prices (us-east-1), so every row is priced the same way whatever it
really runs on. Stores that are databases on a disk (the Jaeger-style store, Phoenix) pay no
per-request fees here; their storage line is then a lower bound (block storage such as EBS gp3
costs ~3.5x S3 per GB, and Cassandra keeps each row on 3 replicas). The notes say so per row.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

GIB = 2**30  # AWS bills storage per GB of 2^30 bytes


@dataclass(frozen=True)
class Prices:
    """S3 Standard list prices, the tiers of storage and the two request classes."""

    as_of: str = "2026-11-24"
    region: str = "us-east-1"
    # (upper bound of the tier in GB-month, $ per GB-month); the last tier is unbounded.
    storage_tiers: tuple[tuple[float, float], ...] = (
        (50 * 1024, 0.023),
        (500 * 1024, 0.022),
        (float("inf"), 0.021),
    )
    # Class A: PUT, COPY, POST, LIST. Class B: GET (ranged GETs count as GETs). DELETE is free.
    class_a_per_1000: float = 0.005
    class_b_per_1000: float = 0.0004

    def storage_usd(self, gb_month: float) -> float:
        """Monthly price of ``gb_month`` GB stored, walking the tiers."""
        total, lower = 0.0, 0.0
        for upper, price in self.storage_tiers:
            if gb_month <= lower:
                break
            total += (min(gb_month, upper) - lower) * price
            lower = upper
        return total


@dataclass(frozen=True)
class Rates:
    """The deployment every contender is priced for: steady ingest, retention, lookups."""

    ingest_spans_per_s: float = 10_000.0
    retention_days: int = 30
    queries_per_s: float = 1.0

    @property
    def seconds(self) -> float:
        """Seconds in the billed month (= the retention, so storage is one month of ingest)."""
        return self.retention_days * 86_400.0

    @property
    def spans_per_month(self) -> float:
        """Spans ingested in the month; with retention = one month, also the spans kept."""
        return self.ingest_spans_per_s * self.seconds

    @property
    def queries_per_month(self) -> float:
        """Trace-by-ID lookups in the month."""
        return self.queries_per_s * self.seconds


@dataclass
class Requests:
    """Object-store requests a contender makes, per span ingested and per lookup.

    ``None`` means "cannot be priced": e.g. a lookup in a store with no index scans every object.
    """

    class_a_per_span: float = 0.0
    class_b_per_span: float = 0.0
    class_b_per_query: float | None = 0.0
    basis: str = ""


@dataclass
class Result:
    """One contender's figures from one run."""

    name: str
    spans: int = 0
    stored_bytes: int = 0
    ingest_spans_per_s: float | None = None
    lookup_p50_ms: float | None = None
    lookup_p90_ms: float | None = None
    lookups: int = 0
    requests: Requests = field(default_factory=Requests)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def bytes_per_span(self) -> float:
        """Stored bytes divided by spans stored."""
        return self.stored_bytes / self.spans if self.spans else 0.0


@dataclass(frozen=True)
class MonthlyCost:
    """A contender's month at :class:`Rates`, in US dollars."""

    stored_gb: float
    storage_usd: float
    write_requests_usd: float
    read_requests_usd: float | None  # None: lookups cannot be priced (no index: a full scan each)

    @property
    def total_usd(self) -> float:
        """Storage plus requests (lookups that cannot be priced count as 0: see the notes)."""
        return self.storage_usd + self.write_requests_usd + (self.read_requests_usd or 0.0)


def monthly_cost(result: Result, prices: Prices, rates: Rates) -> MonthlyCost:
    """Storage for one month of ingest kept for the retention, plus the requests it takes."""
    gb = result.bytes_per_span * rates.spans_per_month / GIB
    req = result.requests
    per_span = req.class_a_per_span * prices.class_a_per_1000 + req.class_b_per_span * prices.class_b_per_1000
    reads = None
    if req.class_b_per_query is not None:
        reads = req.class_b_per_query * rates.queries_per_month * prices.class_b_per_1000 / 1000
    return MonthlyCost(
        stored_gb=gb,
        storage_usd=prices.storage_usd(gb),
        write_requests_usd=per_span * rates.spans_per_month / 1000,
        read_requests_usd=reads,
    )


def result_to_json(result: Result, raw_bytes_per_span: float, prices: Prices, rates: Rates) -> dict[str, Any]:
    """A result with its derived figures, for storage_cost.json."""
    doc = asdict(result)
    doc["bytes_per_span"] = result.bytes_per_span
    doc["ratio_to_raw_otlp"] = result.bytes_per_span / raw_bytes_per_span if raw_bytes_per_span else None
    if result.skipped is None:
        cost = monthly_cost(result, prices, rates)
        doc["monthly"] = {**asdict(cost), "total_usd": cost.total_usd}
    return doc
