"""Jaeger's query APIs (the HTTP JSON API of jaeger-query and api_v3) over tempo_py's querier."""
