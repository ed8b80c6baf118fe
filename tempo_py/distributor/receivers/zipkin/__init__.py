"""Zipkin receiver: v1 JSON, v2 JSON and v2 protobuf spans over HTTP (port 9411)."""
