"""``querier.jaeger_query.listen_port``: Jaeger's API at jaeger-query's own paths on a second listener,
sharing the query port's data; off (no listener) by default."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from tests.support.server import free_port


def _get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, r.geturl(), r.read()


def test_jaeger_paths_on_their_own_port(tempo_server_factory: Any) -> None:
    port = free_port()
    srv = tempo_server_factory(
        {"querier": {"jaeger_query": {"listen_address": "127.0.0.1", "listen_port": port}}}
    )
    base = f"http://127.0.0.1:{port}"
    status, _, body = _get(base + "/api/services")
    assert status == 200 and json.loads(body) == {
        "data": [],
        "total": 0,
        "limit": 0,
        "offset": 0,
        "errors": None,
    }
    status, _, body = _get(base + "/api/v3/services")
    assert status == 200 and json.loads(body) == {}
    status, url, body = _get(base + "/")
    assert status == 200 and url.endswith("/ui/") and b"<title>tempo_py</title>" in body
    # the same API stays under /jaeger on the query port
    status, _, body = srv.request("GET", "/jaeger/api/services")
    assert status == 200 and json.loads(body)["data"] == []
    status, _, _ = srv.request("GET", "/api/services", url=None)
    assert status == 404  # Tempo's port has no Jaeger route at the root
