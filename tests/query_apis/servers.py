"""A real tempo-py server with the Jaeger (UDP compact) and Zipkin receivers on, and JSON helpers."""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.server import TempoServer, free_port, free_udp_port


@dataclass
class ApiServer:
    """The server and its receiver ports."""

    srv: TempoServer
    jaeger_compact: int
    zipkin: int

    @property
    def zipkin_url(self) -> str:
        """Zipkin receiver base URL."""
        return f"http://127.0.0.1:{self.zipkin}"

    def get(self, path: str, params: dict[str, Any] | list[tuple[str, str]] | None = None) -> tuple[int, Any]:
        """GET ``path`` (with query parameters); the status and the JSON body (text if not JSON)."""
        query = "?" + urllib.parse.urlencode(params, doseq=True) if params else ""
        status, _, body = self.srv.request("GET", path + query)
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body.decode(errors="replace")

    def ok(self, path: str, params: dict[str, Any] | list[tuple[str, str]] | None = None) -> Any:
        """GET that must answer 200; its JSON."""
        status, body = self.get(path, params)
        assert status == 200, (path, status, body)
        return body


def start_api_server(workdir: Path) -> ApiServer:
    """Start a server with Jaeger thrift_compact and Zipkin receivers on free ports."""
    compact, zipkin = free_udp_port(), free_port()
    config = {
        "distributor": {
            "receivers": {
                "jaeger": {"protocols": {"thrift_compact": {"endpoint": f"127.0.0.1:{compact}"}}},
                "zipkin": {"endpoint": f"127.0.0.1:{zipkin}"},
            }
        }
    }
    return ApiServer(TempoServer(workdir, config).start(), compact, zipkin)


def wait_for(fetch: Callable[[], Any], ready: Callable[[Any], bool], timeout: float = 20.0) -> Any:
    """Call ``fetch`` until ``ready`` holds for its result (UDP and the ingesters are asynchronous)."""
    deadline = time.monotonic() + timeout
    while True:
        got = fetch()
        if ready(got) or time.monotonic() > deadline:
            return got
        time.sleep(0.1)
