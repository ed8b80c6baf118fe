"""Shared fixtures: one module per real service, registered here (pytest reads plugins only from here)."""

pytest_plugins = [
    "tempo_py.testing.moto_server",
    "tempo_py.testing.server",
    "tempo_py.testing.old_otel_venv",
    "tempo_py.testing.node_jaeger",
]
