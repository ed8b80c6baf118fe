"""One server for the query API tests (each test sends its own traces, with fresh IDs)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .servers import ApiServer, start_api_server


@pytest.fixture(scope="session")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """Started once for the session."""
    server = start_api_server(tmp_path_factory.mktemp("query-apis"))
    try:
        yield server
    finally:
        server.srv.kill()
