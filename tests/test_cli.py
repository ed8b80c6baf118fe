"""tempo-py's tools as a user runs them: write a block, list blocks, print a trace; bad input exits 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from google.protobuf import json_format
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans

from tempo_py.testing.otlp_factory import canonical_spans, otlp_json, rich_request, spans_of_trace


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tempo_py.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_block_write_list_and_trace_get(tmp_path: Path) -> None:
    req = rich_request(n_traces=2, spans_per_trace=3, seed=8)
    (tmp_path / "spans.json").write_text(json.dumps(otlp_json(req)))
    (tmp_path / "spans.pb").write_bytes(
        rich_request(n_traces=1, spans_per_trace=2, seed=9).SerializeToString()
    )
    store = ["--backend", "local", "--path", str(tmp_path / "blocks"), "--tenant", "t1"]
    r = _cli("block", "write", "spans.json", *store, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["spanCount"] == 2 * 2 * 2 * 3
    assert _cli("block", "write", "spans.pb", *store, cwd=tmp_path).returncode == 0
    r = _cli("blocks", "list", *store, cwd=tmp_path)
    assert r.returncode == 0 and len(r.stdout.strip().splitlines()) == 2
    assert "2 blocks" in r.stderr
    tid = req.resource_spans[0].scope_spans[0].spans[0].trace_id
    r = _cli("trace", "get", tid.hex(), *store, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    got = []
    for item in json.loads(r.stdout)["resourceSpans"]:
        rs = ResourceSpans()
        json_format.ParseDict(item, rs)
        got.append(rs)
    assert canonical_spans(got) == canonical_spans(spans_of_trace(list(req.resource_spans), tid))


def test_bad_arguments_and_unreachable_backends_give_one_line_and_exit_2(tmp_path: Path) -> None:
    local = ["--backend", "local", "--path", str(tmp_path / "blocks")]
    cases = [
        ("trace", "get", "not-hex", *local),
        ("trace", "get", "abcd", *local),  # absent
        ("block", "write", "missing.json", *local),
        ("blocks", "list", "--tenant", "../etc", *local),
        ("blocks", "list", "--set", "storage.trace.bakend=local"),
        (
            "blocks",
            "list",
            "--backend",
            "s3",
            "--bucket",
            "b",
            "--endpoint",
            "http://127.0.0.1:9",
            "--set",
            "storage.trace.s3.insecure=true",
        ),
    ]
    (tmp_path / "bad.json").write_text("{nope")
    cases.append(("block", "write", "bad.json", *local))
    for args in cases:
        r = _cli(*args, cwd=tmp_path)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)
        assert r.stderr.startswith("tempo-py: "), r.stderr


# ------------------------------------------------------------------------ Tempo's flags and logs


def test_tempo_flags_become_ours() -> None:
    from tempo_py.cli import tempo_flags_to_ours

    assert tempo_flags_to_ours(["-config.file=/etc/tempo.yaml"]) == ["serve", "--config", "/etc/tempo.yaml"]
    assert tempo_flags_to_ours(["--config.file", "t.yaml", "-target=querier", "-config.expand-env"]) == [
        "serve",
        "--config",
        "t.yaml",
        "--target",
        "querier",
        "--config-expand-env",
    ]
    assert tempo_flags_to_ours(["-config.expand-env=false", "-config.file=t.yaml"])[:2] == [
        "serve",
        "--no-config-expand-env",
    ]
    assert tempo_flags_to_ours(["-log.level=debug", "-config.file=t"]) == [
        "serve",
        "--log-level",
        "debug",
        "--config",
        "t",
    ]
    # with a subcommand, ours stay as they are
    assert tempo_flags_to_ours(["serve", "--config", "t.yaml", "--target", "all"]) == [
        "serve",
        "--config",
        "t.yaml",
        "--target",
        "all",
    ]
    assert tempo_flags_to_ours(["serve", "-config.file=t.yaml"]) == ["serve", "--config", "t.yaml"]
    assert tempo_flags_to_ours(["-version"]) == ["--version"]


def test_version(tmp_path: Path) -> None:
    from tempo_py import __version__

    for flag in ("--version", "-version"):
        r = _cli(flag, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith(f"tempo-py, version {__version__} (python "), r.stdout


def test_log_formatter_logfmt_and_json() -> None:
    import logging

    from tempo_py.app.logs import LogFormatter

    record = logging.LogRecord(
        "tempo_py.x", logging.WARNING, "/a/b/c.py", 12, 'said "hi" %s', ("there",), None
    )
    line = LogFormatter("logfmt").format(record)
    assert line.startswith("level=warn ts=") and line.endswith(
        ' caller=c.py:12 msg="said \\"hi\\" there" logger=tempo_py.x'
    )
    doc = json.loads(LogFormatter("json").format(record))
    assert doc["level"] == "warn" and doc["msg"] == 'said "hi" there' and doc["caller"] == "c.py:12"


def test_server_log_level_and_format_take_effect(tmp_path: Path) -> None:
    import time
    import urllib.request

    from tests.support.server import free_port

    port = free_port()
    cfg = tmp_path / "tempo.yaml"
    cfg.write_text(
        f"server: {{http_listen_address: 127.0.0.1, http_listen_port: {port}, "
        "log_level: warn, log_format: json}\n"
        f"memberlist: {{bind_port: 7946}}\n"
        f"storage: {{trace: {{local: {{path: {tmp_path / 'b'}}}, wal: {{path: {tmp_path / 'w'}}}}}}}\n"
    )
    log = open(tmp_path / "log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "tempo_py.cli", f"-config.file={cfg}"], cwd=tmp_path, stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(60)
    lines = [ln for ln in (tmp_path / "log").read_text().splitlines() if ln.startswith("{")]
    docs = [json.loads(ln) for ln in lines]
    assert docs and all(d["level"] in ("warn", "error") for d in docs), lines  # no info lines at warn
    assert any(d["msg"] == "accepted for Tempo compatibility, no effect: memberlist" for d in docs), lines
