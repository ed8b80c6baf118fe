"""Fixtures for receiver tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .recording import Recorder


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    yield Recorder()
