"""Defect 4 of issue 17 through a real server process: a full disk under the WAL.

Pushes until the WAL's filesystem is full (a 4 MiB tmpfs, really full), which must answer 503 with
Retry-After; then space is freed and pushes are acknowledged again; then kill -9 and restart, and
every acknowledged span must be readable. Before the fix, the full disk answered 500 without
Retry-After and left a torn record in the segment; everything acknowledged after it was appended
behind the tear and lost on replay. Where no tmpfs can be mounted, the same run uses the
``wal_enospc_once`` fault hook (a torn half-write, then ENOSPC) instead of a real full disk."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tempo_py import faults
from tempo_py.testing.otlp_factory import canonical_spans, rich_request, spans_of_trace
from tempo_py.testing.tempo_api import decode_trace_response
from tests.support.server import TempoServer

ServerFactory = Callable[..., TempoServer]
PB = {"Content-Type": "application/x-protobuf"}
TMPFS_BYTES = 4 * 2**20
HEADROOM = 256 * 2**10  # left free after the filler: room for a few pushes, then ENOSPC
MAX_PUSHES = 300  # bounded: each push is ~30 KB, so the headroom runs out long before this


@pytest.fixture
def wal_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A small tmpfs for the WAL, or a skip when this machine cannot mount one."""
    mnt = tmp_path / "walfs"
    mnt.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_BYTES}", "tmpfs", str(mnt)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mnt
    finally:
        # lazy unmount as a last resort if something still holds a file open there
        if subprocess.run(["umount", str(mnt)], capture_output=True, check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True, check=False)


def _push(srv: TempoServer, seed: int) -> tuple[int, dict[str, str], bytes, ExportTraceServiceRequest]:
    req = rich_request(n_traces=2, spans_per_trace=4, seed=seed)
    status, headers, body = srv.request("POST", "", req.SerializeToString(), PB, url=srv.otlp_http_url)
    return status, {k.lower(): v for k, v in headers.items()}, body, req


def _assert_disk_full_answer(status: int, headers: dict[str, str], body: bytes) -> None:
    assert status == 503, (status, body[:300])
    assert int(headers["retry-after"]) >= 1, headers
    st = status_pb2.Status()
    st.ParseFromString(body)
    assert "disk full" in st.message, st.message


def _fill(directory: Path) -> Path:
    """Write a filler file leaving HEADROOM bytes free on ``directory``'s filesystem."""
    stat = os.statvfs(directory)
    free = stat.f_bavail * stat.f_frsize
    filler = directory / "filler"
    with open(filler, "wb") as f:
        remaining = max(0, free - HEADROOM)
        while remaining:
            n = f.write(b"\0" * min(remaining, 2**20))
            remaining -= n
    return filler


def _assert_all_readable(srv: TempoServer, acked: ExportTraceServiceRequest) -> None:
    """Every acknowledged trace reads back whole (one API version: the WAL is under test here,
    not the encodings, which tests/e2e covers)."""
    ids = {sp.trace_id for rs in acked.resource_spans for ss in rs.scope_spans for sp in ss.spans}
    missing = []
    for tid in sorted(ids):
        status, body = srv.get_trace(tid.hex(), protobuf=True)
        got = decode_trace_response(body, version=2, protobuf=True) if status == 200 else []
        if canonical_spans(got) != canonical_spans(spans_of_trace(list(acked.resource_spans), tid)):
            missing.append(tid.hex())
    assert not missing, f"{len(missing)} of {len(ids)} acknowledged traces lost or incomplete"


def _restart_and_check(srv: TempoServer, acked: ExportTraceServiceRequest) -> None:
    srv.kill()
    srv.start()  # no fault hook this time: the replay is what is under test
    _assert_all_readable(srv, acked)


def test_full_disk_answers_503_and_loses_no_acknowledged_span(
    wal_tmpfs: Path, tempo_server_factory: ServerFactory
) -> None:
    # wal_tmpfs first: set up first, torn down last, so the factory has killed the server by then
    srv = tempo_server_factory({"storage": {"trace": {"wal": {"path": str(wal_tmpfs / "wal")}}}})
    acked = ExportTraceServiceRequest()
    filler = _fill(wal_tmpfs)
    seed, refused = 1000, 0
    for seed in range(1000, 1000 + MAX_PUSHES):
        status, headers, body, req = _push(srv, seed)
        if status == 200:
            acked.MergeFrom(req)
            continue
        _assert_disk_full_answer(status, headers, body)
        refused += 1
        if refused == 3:  # still full: every further push is refused the same way
            break
    assert refused == 3, "the WAL never hit ENOSPC"
    assert srv.request("GET", "/ready")[0] == 200

    filler.unlink()  # space comes back: pushes succeed again without a restart
    for after in range(seed + 1, seed + 11):
        status, _, body, req = _push(srv, after)
        assert status == 200, body[:300]
        acked.MergeFrom(req)
    _restart_and_check(srv, acked)


def test_torn_append_via_fault_hook_loses_no_acknowledged_span(tempo_server_factory: ServerFactory) -> None:
    srv = tempo_server_factory(start=False)
    srv.start(env_extra={faults.FAULT_ENV: faults.WAL_ENOSPC_ONCE})
    status, headers, body, _ = _push(srv, 1)
    _assert_disk_full_answer(status, headers, body)
    acked = ExportTraceServiceRequest()
    for seed in range(2, 12):
        status, _, body, req = _push(srv, seed)
        assert status == 200, body[:300]
        acked.MergeFrom(req)
    _restart_and_check(srv, acked)
