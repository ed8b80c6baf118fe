"""Compactor tests."""
