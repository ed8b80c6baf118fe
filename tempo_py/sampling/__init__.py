"""Trace sampling: strategies served to clients (Jaeger remote, X-Ray centralized) and tail sampling."""
