"""Operations as a Tempo user meets them: startup lists every listener, a port in use or an
unresolvable receiver host says exactly that, /ready is 503 while S3 is unreachable, and the
status pages answer as Tempo's."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from tests.dropin.launch import free_port, launch, run


def _config(tmp: Path, http: int, grpc: int, otlp_http: int, extra: str = "") -> Path:
    path = tmp / "tempo.yaml"
    path.write_text(
        f"""
server: {{http_listen_address: 127.0.0.1, http_listen_port: {http}}}
distributor:
  receivers:
    otlp:
      protocols:
        grpc: {{endpoint: "127.0.0.1:{grpc}"}}
        http: {{endpoint: "127.0.0.1:{otlp_http}"}}
storage: {{trace: {{backend: local, local: {{path: {tmp / "blocks"}}}, wal: {{path: {tmp / "wal"}}}}}}}
{extra}
"""
    )
    return path


def test_startup_lists_every_listener(tmp_path: Path) -> None:
    http, grpc, otlp_http = free_port(), free_port(), free_port()
    srv = launch([f"-config.file={_config(tmp_path, http, grpc, otlp_http)}"], tmp_path, http)
    try:
        line = next(ln for ln in srv.log().splitlines() if ln.startswith("tempo-py listening: "))
        assert f"http 127.0.0.1:{http}" in line
        assert f"otlp.grpc 127.0.0.1:{grpc}" in line and f"otlp.http 127.0.0.1:{otlp_http}" in line
    finally:
        srv.stop()


def test_port_in_use_is_named(tmp_path: Path) -> None:
    http, grpc, otlp_http = free_port(), free_port(), free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", grpc))
        taken.listen()
        proc = run([f"-config.file={_config(tmp_path, http, grpc, otlp_http)}"], tmp_path)
        assert proc.wait(60) == 2
    out = (tmp_path / "server.log").read_text()
    assert (
        f"tempo-py: cannot listen for otlp.grpc on 127.0.0.1:{grpc} "
        "(distributor.receivers.otlp.protocols.grpc.endpoint): address already in use"
    ) in out, out
    assert "backend unreachable" not in out


def test_unresolvable_receiver_host_is_named(tmp_path: Path) -> None:
    http, grpc, otlp_http = free_port(), free_port(), free_port()
    cfg = _config(tmp_path, http, grpc, otlp_http)
    proc = run(
        [
            f"-config.file={cfg}",
            "--set",
            "distributor.receivers.otlp.protocols.http.endpoint=tempo.invalid:4318",
        ],
        tmp_path,
    )
    assert proc.wait(60) == 2
    out = (tmp_path / "server.log").read_text()
    assert "cannot listen for otlp.http on tempo.invalid:4318" in out, out
    assert 'host "tempo.invalid" does not resolve' in out, out


def test_ready_is_503_while_s3_is_unreachable(tmp_path: Path, moto_s3: Any, s3_bucket: str) -> None:
    # An S3 endpoint that accepts nothing: a port with no listener.
    dead = free_port()
    http, grpc, otlp_http = free_port(), free_port(), free_port()
    extra = yaml.safe_dump(
        {
            "storage": {
                "trace": {
                    "backend": "s3",
                    "s3": {
                        "bucket": s3_bucket,
                        "endpoint": f"127.0.0.1:{dead}",
                        "insecure": True,
                        "forcepathstyle": True,
                        "region": "us-east-1",
                        "access_key": "testing",
                        "secret_key": "testing",
                    },
                    "wal": {"path": str(tmp_path / "wal")},
                }
            }
        }
    )
    cfg = _config(tmp_path, http, grpc, otlp_http).read_text().split("storage:")[0] + extra
    (tmp_path / "tempo.yaml").write_text(cfg)
    proc = run([f"-config.file={tmp_path / 'tempo.yaml'}"], tmp_path)
    try:
        deadline = time.monotonic() + 60
        answer: tuple[int, bytes] | None = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{http}/ready", timeout=2) as r:
                    answer = (r.status, r.read())
            except urllib.error.HTTPError as e:
                answer = (e.code, e.read())
                if b"backend unreachable" in answer[1]:
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        assert answer is not None and answer[0] == 503, (answer, (tmp_path / "server.log").read_text())
        assert b"not ready: backend unreachable: s3" in answer[1], answer
        with urllib.request.urlopen(f"http://127.0.0.1:{http}/status/services", timeout=5) as r:
            services = r.read().decode()
        store_row = next(ln for ln in services.splitlines() if ln.startswith("| store "))
        assert "Running" in store_row and "s3:" in store_row, services
    finally:
        proc.kill()
        proc.wait(10)


def test_status_pages(tmp_path: Path) -> None:
    http, grpc, otlp_http = free_port(), free_port(), free_port()
    extra = "overrides: {per_tenant: {acme: {compaction: {block_retention: 48h}}}}\n"
    srv = launch([f"-config.file={_config(tmp_path, http, grpc, otlp_http, extra)}"], tmp_path, http)
    try:
        status, body = srv.request("GET", "/status/version")
        assert status == 200 and body.startswith(b"GET /status/version\ntempo-py, version ")
        status, body = srv.request("GET", "/status/services")
        text = body.decode()
        assert "| SERVICE NAME " in text and "| ingester-0 " in text and "Running" in text
        status, body = srv.request("GET", "/status/endpoints")
        text = body.decode()
        assert "/api/traces/{traceID}" in text or "/api/traces/{" in text, text
        assert "API documentation: " in text
        status, body = srv.request("GET", "/status/config")
        assert status == 200 and body.startswith(b"---\n")
        cfg = yaml.safe_load(body)
        assert cfg["server"]["http_listen_port"] == http and cfg["storage"]["trace"]["backend"] == "local"
        diff = yaml.safe_load(srv.request("GET", "/status/config?mode=diff")[1])
        assert diff["server"] == {"http_listen_address": "127.0.0.1", "http_listen_port": http}
        assert "ingester" not in diff  # only what differs from the defaults
        defaults = yaml.safe_load(srv.request("GET", "/status/config?mode=defaults")[1])
        assert defaults["server"]["http_listen_port"] == 3200
        assert srv.request("GET", "/status/config?mode=nope")[0] == 400
        status, body = srv.request("GET", "/status/runtime_config")
        assert status == 200 and b"defaults" in body
        status, body = srv.request("GET", "/status")
        text = body.decode()
        for page in ("version", "services", "endpoints", "runtime_config", "config"):
            assert f"GET /status/{page}\n" in text
        assert srv.request("GET", "/status/nope")[0] == 404
        assert yaml.safe_load(srv.request("GET", "/status/overrides")[1]) == {"tenants": ["acme"]}
        acme = yaml.safe_load(srv.request("GET", "/status/overrides/acme")[1])
        assert acme == {"tenant": "acme", "overrides": {"block_retention": "48h"}}
    finally:
        srv.stop()


def test_status_config_masks_secrets_as_yaml(tmp_path: Path) -> None:
    http, grpc, otlp_http = free_port(), free_port(), free_port()
    cfg = _config(tmp_path, http, grpc, otlp_http)
    srv = launch(
        [f"-config.file={cfg}", "--set", "storage.trace.s3.secret_key=very-secret-key"], tmp_path, http
    )
    try:
        for mode in ("", "?mode=diff"):
            body = srv.request("GET", "/status/config" + mode)[1]
            assert b"very-secret-key" not in body
            assert yaml.safe_load(body)["storage"]["trace"]["s3"]["secret_key"] == "********"
    finally:
        srv.stop()
