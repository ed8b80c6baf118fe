"""Jaeger receivers: Thrift over UDP (agent) and HTTP (collector), protobuf over gRPC."""
