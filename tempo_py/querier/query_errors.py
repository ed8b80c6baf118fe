"""The HTTP status of a query that failed for a reason of the query's own, for every query API.

Tempo's API, the TraceQL metrics API and the Jaeger and Zipkin APIs answer the same causes with
the same status (each in its own body shape): a query that cannot be run is 400, a gate refusal
429, a deadline passed 504.
"""

from __future__ import annotations

from tempo_py.querier.query_gate import QueryTimeout, QueueFull
from tempo_py.querier.search import SearchBudgetExceeded
from tempo_py.traceql.errors import TraceQLError

# Exceptions a query raises that are the query's answer, not a server fault.
QUERY_ERRORS = (TraceQLError, SearchBudgetExceeded, QueueFull, QueryTimeout)


def query_status(exc: BaseException) -> int:
    """429 for a full queue, 504 past the deadline, 400 for a query that cannot be run."""
    if isinstance(exc, QueueFull):
        return 429
    if isinstance(exc, QueryTimeout):
        return 504
    return 400
