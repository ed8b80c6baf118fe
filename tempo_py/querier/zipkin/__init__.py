"""Zipkin's v2 query API over tempo_py's querier."""
