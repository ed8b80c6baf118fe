"""Shared fixtures: one module per real service, registered here."""

pytest_plugins = ["tempo_py.testing.moto_server", "tempo_py.testing.server"]
