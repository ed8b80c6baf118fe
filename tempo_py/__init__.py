"""tempo_py: a distributed-tracing backend in the style of Grafana Tempo."""

__version__ = "0.1.0"
