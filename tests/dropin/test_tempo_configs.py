"""Every real Tempo config (../shared/tempo-configs/) starts tempo-py unchanged and serves a trace.

Each file is passed as Tempo's binary takes it (``-config.file=...``); only listen addresses,
ports, local paths and the S3 endpoint and bucket are overridden with ``--set``.
"""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from tempo_py.config.loader import load_config_with_notes
from tempo_py.testing.otlp_factory import rich_request
from tests.dropin.launch import free_port, launch

CONFIGS = Path("/work/shared/tempo-configs")
NAMES = sorted(p.name for p in CONFIGS.glob("*.yaml")) if CONFIGS.is_dir() else []
ENV = {"HTTP_PORT": "3200", "S3_BUCKET": "tempo", "S3_ENDPOINT": "minio:9000"}


def _overrides(
    raw: dict[str, Any], tmp: Path, http: int, otlp_http: int, otlp_grpc: int, s3: dict[str, str]
) -> list[str]:
    sets = [
        "server.http_listen_address=127.0.0.1",
        f"server.http_listen_port={http}",
        f"distributor.receivers.otlp.protocols.http.endpoint=127.0.0.1:{otlp_http}",
        f"storage.trace.wal.path={tmp / 'wal'}",
        f"storage.trace.local.path={tmp / 'blocks'}",
    ]
    grpc = ((raw.get("distributor") or {}).get("receivers") or {}).get("otlp", {}) or {}
    if "grpc" in (grpc.get("protocols") or {}):
        sets.append(f"distributor.receivers.otlp.protocols.grpc.endpoint=127.0.0.1:{otlp_grpc}")
    backend = ((raw.get("storage") or {}).get("trace") or {}).get("backend")
    if backend == "s3":
        sets += [f"storage.trace.s3.{k}={v}" for k, v in s3.items()]
    return sets


@pytest.mark.skipif(not NAMES, reason="no shared Tempo configs on this machine")
@pytest.mark.parametrize("name", NAMES)
def test_tempo_config_starts_unchanged_and_serves_a_trace(
    name: str, tmp_path: Path, moto_s3: Any, s3_bucket: str
) -> None:
    path = CONFIGS / name
    text = path.read_text()
    raw = yaml.safe_load(text.replace("${HTTP_PORT}", "3200")) or {}
    http, otlp_http, otlp_grpc = free_port(), free_port(), free_port()
    s3 = {
        "endpoint": moto_s3.endpoint.removeprefix("http://"),
        "bucket": s3_bucket,
        "region": moto_s3.region,
        "access_key": moto_s3.access_key,
        "secret_key": moto_s3.secret_key,
        "insecure": "true",
        "forcepathstyle": "true",
    }
    sets = _overrides(raw, tmp_path, http, otlp_http, otlp_grpc, s3)
    args = [f"-config.file={path}", "-config.expand-env=true", *(a for s in sets for a in ("--set", s))]
    srv = launch(args, tmp_path, http, env_extra=ENV)
    try:
        log = srv.log()
        assert "unknown key" not in log and "Traceback" not in log, log
        _, notes = load_config_with_notes(path, env=ENV)
        for line in notes.warning_lines():  # e.g. "accepted for Tempo compatibility, no effect: ..."
            assert f"msg={json.dumps(line)}" in log, log  # logfmt quotes as JSON strings
        assert log.count("accepted for Tempo compatibility") == (1 if notes.no_effect else 0), log
        if raw.get("target", "all") not in ("all", "scalable-single-binary"):
            return  # e.g. target: distributor, which tempo-py runs without ingesters: ready is enough
        req = rich_request(
            n_traces=1, spans_per_trace=3, seed=hash(name) & 0xFFFF, base_ns=time.time_ns() - 10**9
        )
        trace_id = req.resource_spans[0].scope_spans[0].spans[0].trace_id.hex()
        headers = {"Content-Type": "application/x-protobuf"}
        if raw.get("multitenancy_enabled"):
            headers["X-Scope-OrgID"] = "team-a"
        push = urllib.request.Request(
            f"http://127.0.0.1:{otlp_http}/v1/traces",
            data=req.SerializeToString(),
            headers=headers,
            method="POST",
        )
        with urllib.request.urlopen(push, timeout=30) as r:
            assert r.status == 200
        read_headers = {k: v for k, v in headers.items() if k == "X-Scope-OrgID"}
        status, body = srv.request("GET", f"/api/v2/traces/{trace_id}", headers=read_headers)
        assert status == 200, body
        assert json.loads(body)["trace"]["resourceSpans"]
        assert srv.request("POST", "/flush", headers=read_headers)[0] in (200, 204)
        status, body = srv.request("GET", f"/api/v2/traces/{trace_id}", headers=read_headers)
        assert status == 200, body
    finally:
        srv.stop()


def test_misspelled_keys_are_all_listed_in_one_message(tmp_path: Path) -> None:
    from tests.dropin.launch import run

    cfg = tmp_path / "tempo.yaml"
    cfg.write_text(
        "stream_over_http_enabled: true\n"
        "server: {http_listen_prot: 3200}\n"
        "memberlist: {bind_port: 7946}\n"
        "storage: {trace: {bakend: local, wal: {pth: /tmp/w}}}\n"
    )
    proc = run([f"-config.file={cfg}"], tmp_path)
    assert proc.wait(60) == 2
    out = (tmp_path / "server.log").read_text()
    assert "3 unknown keys" in out
    for hint in (
        '"server.http_listen_prot" (did you mean "http_listen_port"?)',
        '"storage.trace.bakend" (did you mean "backend"?)',
        '"storage.trace.wal.pth" (did you mean "path"?)',
    ):
        assert hint in out, out
    assert "memberlist" not in out and out.count("\n") == 1, out
