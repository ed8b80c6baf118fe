"""OTLP receivers: HTTP (protobuf and JSON) on 4318 and gRPC on 4317."""
