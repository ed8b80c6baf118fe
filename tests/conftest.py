"""Shared fixtures: one module per real service, registered here (pytest reads plugins only from here)."""

pytest_plugins = [
    "tests.support.moto_server",
    "tests.support.server",
    "tests.support.old_otel_venv",
    "tests.support.node_jaeger",
]
