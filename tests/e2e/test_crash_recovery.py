"""Acknowledged means durable; visible means complete: real processes killed with SIGKILL."""

from __future__ import annotations

import contextlib
import urllib.error
from collections.abc import Callable
from pathlib import Path

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tempo_py.testing.otlp_factory import rich_request
from tests.support.server import TempoServer

from .test_otlp_roundtrip import assert_all_readable

ServerFactory = Callable[..., TempoServer]


def _push(srv: TempoServer, req: ExportTraceServiceRequest) -> None:
    status, _, body = srv.request(
        "POST", "", req.SerializeToString(), {"Content-Type": "application/x-protobuf"}, url=srv.otlp_http_url
    )
    assert status == 200, body


def _send_many(srv: TempoServer, n: int, seed: int = 100) -> ExportTraceServiceRequest:
    sent = ExportTraceServiceRequest()
    for i in range(n):
        req = rich_request(n_traces=2, spans_per_trace=3, seed=seed + i)
        _push(srv, req)
        sent.MergeFrom(req)
    return sent


def _blocks(srv: TempoServer) -> tuple[list[Path], list[Path]]:
    root = srv.workdir / "blocks" / "single-tenant"
    return sorted(root.glob("*/meta.json")), sorted(root.glob("*/data.parquet"))


def test_acknowledged_spans_survive_sigkill(tempo_server_factory: ServerFactory) -> None:
    srv = tempo_server_factory()
    sent = _send_many(srv, 8)
    srv.kill()  # every push above got its 200, so it must be on disk
    srv.start()
    assert_all_readable(srv, sent)
    srv.flush()
    assert_all_readable(srv, sent)
    srv.kill()
    srv.start()
    assert_all_readable(srv, sent)


def test_sigkill_during_block_flush_leaves_no_partial_block(tempo_server_factory: ServerFactory) -> None:
    srv = tempo_server_factory(start=False)
    srv.start(env_extra={"TEMPOPY_CRASH_AT": "block_before_meta"})
    sent = _send_many(srv, 4)
    with contextlib.suppress(urllib.error.URLError, ConnectionError):
        srv.request("POST", "/flush")  # the server kills itself during this flush
    assert srv.proc is not None and srv.proc.wait(30) != 0  # it died mid-flush
    metas, datas = _blocks(srv)
    assert datas and not metas  # data written, meta.json not: the block is invisible
    srv.start()
    assert_all_readable(srv, sent)  # replayed from the WAL, nothing lost, nothing twice
    srv.flush()
    assert len(_blocks(srv)[0]) >= 1
    assert_all_readable(srv, sent)


def test_sigkill_after_block_before_wal_cleanup_shows_no_span_twice(
    tempo_server_factory: ServerFactory,
) -> None:
    srv = tempo_server_factory(start=False)
    srv.start(env_extra={"TEMPOPY_CRASH_AT": "ingester_before_wal_delete"})
    sent = _send_many(srv, 3)
    with contextlib.suppress(urllib.error.URLError, ConnectionError):
        srv.request("POST", "/flush")  # the server kills itself during this flush
    assert srv.proc is not None and srv.proc.wait(30) != 0
    assert _blocks(srv)[0]  # the block is visible and the WAL still holds the same spans
    srv.start()
    assert_all_readable(srv, sent)  # block + replayed WAL: de-duplicated
    srv.flush()  # the replayed spans become a second block with the same spans
    assert_all_readable(srv, sent)


def test_sigterm_flushes_and_exits_zero(tempo_server_factory: ServerFactory) -> None:
    srv = tempo_server_factory()
    sent = _send_many(srv, 3)
    assert srv.stop() == 0
    assert _blocks(srv)[0]
    wal_files = [p for p in (srv.workdir / "wal").rglob("*.wal") if p.stat().st_size > 0]
    assert not wal_files  # everything is in blocks
    srv.start()
    assert_all_readable(srv, sent)
