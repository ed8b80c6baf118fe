"""Find traces by span conditions (a TraceQL search) and read each found trace whole.

The Jaeger and Zipkin searches both mean "traces with one span matching every condition"; they are
built as one TraceQL spanset filter, run on :class:`~tempo_py.querier.search.SearchEngine`, and the
newest ``limit`` matches are then read by ID through the :class:`~tempo_py.querier.querier.Querier`
(search frames hold only the columns a query needs; an API answer needs every span field).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pyarrow as pa

from tempo_py.querier.querier import Querier
from tempo_py.querier.search import SearchEngine
from tempo_py.querier.search_query import SearchQuery
from tempo_py.traceql import ast, parse_and_validate
from tempo_py.traceql.printer import quote_string

_KIND_WORDS = {"server", "client", "producer", "consumer", "internal", "unspecified"}
_STATUS_WORDS = {"ok": "ok", "error": "error", "unset": "unset"}


def attribute_ref(key: str) -> str:
    """An unscoped TraceQL attribute (span or resource) for a tag key, quoted when it must be."""
    plain = key and all(ch.isalnum() or ch in "._-/" for ch in key) and not key[0].isdigit()
    return "." + (key if plain else quote_string(key))


def tag_condition(key: str, value: str) -> str:
    """A tag given as text (as Jaeger and Zipkin take them) matched in any type it can have.

    ``error``, ``span.kind`` and ``otel.status_code`` are no attributes once stored (the receivers
    move them into status and kind, as the OpenTelemetry Collector does), so they match those.
    """
    low = value.lower()
    if key == "error" and low in ("true", "false"):
        return "status = error" if low == "true" else "status != error"
    if key == "span.kind" and low in _KIND_WORDS:
        return f"kind = {low}"
    if key == "otel.status_code" and low in _STATUS_WORDS:
        return f"status = {_STATUS_WORDS[low]}"
    ref = attribute_ref(key)
    options = [f"{ref} = {quote_string(value)}"]
    if low in ("true", "false"):
        options.append(f"{ref} = {low}")
    else:
        try:
            number = float(value)
        except ValueError:
            number = None
        if number is not None and value.strip() == value and number == number and abs(number) != float("inf"):
            options.append(f"{ref} = {int(number)}" if value.lstrip("-").isdigit() else f"{ref} = {number!r}")
    return options[0] if len(options) == 1 else "(" + " || ".join(options) + ")"


def span_filter(
    *,
    service: str = "",
    name: str = "",
    tags: Mapping[str, str] | None = None,
    extra: list[str] | None = None,
    min_duration_ns: int | None = None,
    max_duration_ns: int | None = None,
) -> ast.RootExpr:
    """One spanset filter: a span of ``service`` named ``name`` with every tag, within the durations."""
    conditions: list[str] = []
    if service:
        conditions.append(f"resource.service.name = {quote_string(service)}")
    if name:
        conditions.append(f"name = {quote_string(name)}")
    for key, value in (tags or {}).items():
        conditions.append(tag_condition(key, value))
    conditions += extra or []
    if min_duration_ns:
        conditions.append(f"duration >= {min_duration_ns}ns")
    if max_duration_ns:
        conditions.append(f"duration <= {max_duration_ns}ns")
    return parse_and_validate("{ " + " && ".join(conditions) + " }" if conditions else "{ }")


async def find_traces(
    engine: SearchEngine,
    querier: Querier,
    tenant: str,
    root: ast.RootExpr,
    start_ns: int | None,
    end_ns: int | None,
    limit: int,
) -> list[pa.Table]:
    """The newest ``limit`` traces matching ``root`` in [start, end], each as all its span rows."""
    outcome = await engine.search(tenant, SearchQuery(root, start_ns, end_ns, limit=limit))
    codes = outcome.traces[:limit] if limit > 0 else outcome.traces
    ids = outcome.frame.trace_ids.to_pylist()
    tables = await read_traces(querier, tenant, [ids[c] for c in codes])
    return [t for t in tables if t.num_rows]


async def read_traces(querier: Querier, tenant: str, trace_ids: list[bytes]) -> list[pa.Table]:
    """Each trace by ID (an empty table where none is found), at most 8 lookups at once."""
    sem = asyncio.Semaphore(8)

    async def one(tid: bytes) -> pa.Table:
        async with sem:
            return await querier.find_trace(tenant, tid)

    return list(await asyncio.gather(*(one(t) for t in trace_ids)))
