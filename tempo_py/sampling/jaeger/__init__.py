"""Jaeger remote sampling: strategies from Jaeger's strategies.json, adaptive probabilities, HTTP and gRPC."""
