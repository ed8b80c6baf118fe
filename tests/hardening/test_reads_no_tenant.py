"""Reads never create tenant state: no directories, no objects, no memory per unknown tenant.

Before, every read with a new ``X-Scope-OrgID`` left an empty block list in the blocklist's
per-tenant dict, and the builder's next poll wrote ``<tenant>/index.json.gz`` for it: 1,000 random
tenant IDs made 1,000 directories.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from tempo_py.block.blocklist import Blocklist
from tempo_py.storage.memory import MemoryStore
from tempo_py.testing.otlp_factory import rich_request
from tests.support.server import TempoServer

ServerFactory = Callable[..., TempoServer]
PB = {"Content-Type": "application/x-protobuf"}


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_reads_with_unknown_tenants_create_nothing(tempo_server_factory: ServerFactory) -> None:
    srv = tempo_server_factory({"multitenancy_enabled": True})
    req = rich_request(n_traces=1, spans_per_trace=2, seed=5)
    status, _, _ = srv.request(
        "POST", "", req.SerializeToString(), {**PB, "X-Scope-OrgID": "real"}, url=srv.otlp_http_url
    )
    assert status == 200
    srv.flush()
    time.sleep(2.5)  # the builder's index for "real" is written (blocklist_poll 1s)
    blocks = srv.workdir / "blocks"
    before = _tree(blocks)
    assert any(p.startswith("real/") for p in before)

    q = urllib.parse.quote("{ }")
    for _ in range(50):
        h = {"X-Scope-OrgID": "t" + secrets.token_hex(6)}
        for path in (
            f"/api/traces/{secrets.token_hex(16)}",
            f"/api/v2/traces/{secrets.token_hex(16)}",
            f"/api/search?q={q}",
            "/api/search/tags",
            "/api/v2/search/tags",
            "/api/search/tag/service.name/values",
        ):
            status, _, body = srv.request("GET", path, headers=h)
            assert status in (200, 404), (path, status, body)
    time.sleep(2.5)  # two more builder polls: any index they would write is there by now
    assert _tree(blocks) == before


def test_blocklist_keeps_no_state_for_unknown_tenants() -> None:
    async def run() -> None:
        store = MemoryStore()
        bl = Blocklist(store, builder=True, poll_interval_s=60)
        for i in range(50):
            assert await bl.searchable(f"nobody-{i}") == []
        assert bl.tenants() == []
        await bl.poll()
        assert await store.list("") == []

    asyncio.run(run())
