"""Shared fixtures: each real service's fixture lives in tempo_py.testing and is registered here."""

pytest_plugins = ["tempo_py.testing.moto_server"]
